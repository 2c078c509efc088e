import { randomInt } from 'node:crypto';

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** The alphabet of generateName suffixes (no vowels, no confusable characters). */
const SUFFIX_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

export type NameRule = 'dns-subdomain' | 'dns-label' | 'path-segment';

/** Undefined when valid, else the message the API server gives. */
export function nameProblem(name: string, rule: NameRule): string | undefined {
  switch (rule) {
    case 'dns-subdomain':
      if (name.length <= 253 && DNS_SUBDOMAIN.test(name)) return undefined;
      return `Invalid value: "${name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character`;
    case 'dns-label':
      if (name.length <= 63 && DNS_LABEL.test(name)) return undefined;
      return `Invalid value: "${name}": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character`;
    case 'path-segment':
      if (name !== '.' && name !== '..' && !/[/%]/.test(name)) return undefined;
      return `Invalid value: "${name}": may not contain '/' or '%' and may not be '.' or '..'`;
  }
}

/** `generateName` plus five random characters, as the API server names objects. */
export function generatedName(prefix: string): string {
  let suffix = '';
  for (let i = 0; i < 5; i++) suffix += SUFFIX_ALPHABET[randomInt(SUFFIX_ALPHABET.length)];
  return `${prefix.slice(0, 58)}${suffix}`;
}
