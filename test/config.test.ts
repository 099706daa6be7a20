/**
 * The HTTP server's security settings from the environment: defaults, and a half-configured TLS
 * pair or a bad value failing at start with the variable named.
 */
import t from 'tap';
import { loadConfig } from '../controller/config.ts';

t.test('by default: plain HTTP, the API server\'s audiences, open /metrics, lists capped at 500', async (t) => {
  t.same(loadConfig({}).http, { audiences: [], metricsAuth: false, listLimit: 500 });
});

t.test('TLS, audiences, metrics authorization and the list cap are read from their variables', async (t) => {
  const http = loadConfig({
    HTTP_TLS_CERT_FILE: '/etc/jirasync/tls/tls.crt', HTTP_TLS_KEY_FILE: '/etc/jirasync/tls/tls.key',
    STATUS_API_AUDIENCES: 'jirasync, other', METRICS_AUTH: 'true', STATUS_API_LIST_LIMIT: '20',
  }).http;
  t.same(http, { tlsCertFile: '/etc/jirasync/tls/tls.crt', tlsKeyFile: '/etc/jirasync/tls/tls.key', audiences: ['jirasync', 'other'], metricsAuth: true, listLimit: 20 });
});

t.test('a certificate without its key, or a bad value, fails at start', async (t) => {
  t.throws(() => loadConfig({ HTTP_TLS_CERT_FILE: '/x/tls.crt' }), /HTTP_TLS_CERT_FILE and HTTP_TLS_KEY_FILE must be set together/);
  t.throws(() => loadConfig({ METRICS_AUTH: 'maybe' }), /METRICS_AUTH must be true or false/);
  t.throws(() => loadConfig({ STATUS_API_LIST_LIMIT: '0' }), /STATUS_API_LIST_LIMIT must be an integer/);
});
