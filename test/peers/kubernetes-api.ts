// The one Kubernetes API call Vault's (OpenBao's) Kubernetes auth makes: a TokenReview of the service
// account token a pod logs in with. This answers it for the service accounts it issued tokens to, so
// OpenBao's real Kubernetes auth method can be tested without a cluster:
//   const k8s = await startKubernetesApi();
//   bao: auth/kubernetes/config { kubernetes_host: k8s.url, kubernetes_ca_cert: k8s.caCert, disable_local_ca_jwt: true }
//   const jwt = k8s.token('keyrot', 'keyrot');   // what the pod finds in its service account token file
// The token is a JWT with the claims a service account token carries, signed with a key of its own
// (OpenBao, with no pem_keys configured, reads the claims and trusts the TokenReview).
import { createSign, generateKeyPairSync, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { selfSignedCert } from './azure-keyvault-server.js';

export interface KubernetesApi {
  url: string;
  /** A CA certificate (OpenBao's config requires one even for http). */
  caCert: string;
  /** A service account token for namespace/name. */
  token(namespace: string, name: string): string;
  /** TokenReviews answered, by service account. */
  readonly reviewed: string[];
  close(): Promise<void>;
}

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

export async function startKubernetesApi(): Promise<KubernetesApi> {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const issued = new Map<string, { namespace: string; name: string; uid: string }>();
  const reviewed: string[] = [];

  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      if (req.method !== 'POST' || req.url !== '/apis/authentication.k8s.io/v1/tokenreviews') {
        res.statusCode = 404;
        return res.end(JSON.stringify({ kind: 'Status', status: 'Failure', reason: 'NotFound' }));
      }
      const token = (JSON.parse(body) as { spec?: { token?: string } }).spec?.token ?? '';
      const sa = issued.get(token);
      if (sa) reviewed.push(`${sa.namespace}/${sa.name}`);
      const status = sa
        ? { authenticated: true, user: { username: `system:serviceaccount:${sa.namespace}:${sa.name}`, uid: sa.uid, groups: ['system:serviceaccounts', `system:serviceaccounts:${sa.namespace}`] } }
        : { authenticated: false, error: 'invalid bearer token' };
      res.end(JSON.stringify({ kind: 'TokenReview', apiVersion: 'authentication.k8s.io/v1', status }));
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');

  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    caCert: selfSignedCert().cert,
    token(namespace, name) {
      const uid = randomUUID();
      const now = Math.floor(Date.now() / 1000);
      const head = b64({ alg: 'RS256', kid: 'keyrot-test', typ: 'JWT' });
      const claims = b64({
        iss: 'kubernetes/serviceaccount', sub: `system:serviceaccount:${namespace}:${name}`, iat: now, exp: now + 3600,
        'kubernetes.io/serviceaccount/namespace': namespace,
        'kubernetes.io/serviceaccount/service-account.name': name,
        'kubernetes.io/serviceaccount/service-account.uid': uid,
      });
      const jwt = `${head}.${claims}.${createSign('RSA-SHA256').update(`${head}.${claims}`).sign(privateKey).toString('base64url')}`;
      issued.set(jwt, { namespace, name, uid });
      return jwt;
    },
    reviewed,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
