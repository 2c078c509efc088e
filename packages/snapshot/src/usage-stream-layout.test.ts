import { clusterOfUsageSubject, usageSubject } from './usage-stream-layout.js';

describe('usage stream layout', () => {
  it('names one subject token per cluster and reads the cluster back', () => {
    expect(usageSubject('eu-west')).toBe('hubpo.usage.eu-west');
    for (const cluster of ['eu-west', 'a.b', 'wild*card', 'été']) {
      const subject = usageSubject(cluster);
      expect(subject.split('.')).toHaveLength(3);
      expect(clusterOfUsageSubject(subject)).toBe(cluster);
    }
  });

  it('rejects subjects outside the layout', () => {
    expect(clusterOfUsageSubject('hubpo.config.ack.x')).toBeUndefined();
    expect(clusterOfUsageSubject('hubpo.usage.')).toBeUndefined();
    expect(clusterOfUsageSubject('hubpo.usage.a.b')).toBeUndefined();
    expect(clusterOfUsageSubject('hubpo.usage.=ZZ')).toBeUndefined();
  });
});
