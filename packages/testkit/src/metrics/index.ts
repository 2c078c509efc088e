export { scrapeMetrics } from './scrape-metrics.js';
export type { MetricsEndpoint } from './scrape-metrics.js';
