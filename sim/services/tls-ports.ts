/**
 * What a node answers on its two public ports, as a client on the network or on the node itself sees them.
 *
 * JFrog (Installation & Setup documentation):
 * - *Option 2: provide your own signed certificate*
 *   (https://jfrog.com/help/r/jfrog-installation-setup-documentation/option-2-provide-your-own-signed-certificate):
 *   after the router's restart with `custom-server.crt`, TLS on Artifactory's own port takes
 *   `artifactory.tomcat.httpsConnector.enabled: true` in system.yaml and a restart. The system.yaml template
 *   says the HTTPS connector "opens a port in addition to the default HTTP connector", and it is off by
 *   default (JFrog knowledge base, *ARTIFACTORY: How to debug SSL issues with Artifactory*,
 *   https://jfrog.com/help/r/artifactory-how-to-debug-ssl-issues-with-artifactory/debugging). So 8443 serves
 *   the certificate only when the connector was enabled when Artifactory last started; otherwise nothing
 *   listens there (the connection is refused).
 * - *Set TLS on the JFrog Platform*
 *   (https://jfrog.com/help/r/jfrog-installation-setup-documentation/set-tls-on-the-jfrog-platform): "When you
 *   have HTTPS, the JPD blocks insecure access to the application (HTTP)". With the world's `tls: 'on'`, a node
 *   that started with its custom certificate answers only HTTPS on 8082: a plain-HTTP request gets no answer a
 *   probe can use (status 0). An HTTPS client verifies the certificate against the CA file it is given and the
 *   address it asked (curl `--cacert`); one that does not verify is no answer either (curl fails, status 0).
 * With `tls: 'off'` (the default) the twin does not model TLS failures: 8082 answers both schemes.
 */
import { rejection } from '../core/certificates';
import type { ArtifactoryNodeContract } from '../core/contracts';

/** The certificate a TLS client gets on PORT of NODE, or undefined when nothing listens there. */
export function servedOn(
  node: Pick<ArtifactoryNodeContract, 'servedCertificate' | 'tls'>,
  port: 8082 | 8443,
): ArtifactoryNodeContract['servedCertificate'] {
  const served = node.servedCertificate;
  if (served === undefined) return undefined;
  if (port === 8443 && !node.tls.httpsConnectorAtStart) return undefined;
  return served;
}

/** What probe-readiness.sh gets from the node's own 8082: status codes (0: nothing usable answered). */
export interface ReadinessAnswer {
  readonly routerHealth: number;
  readonly ready: boolean;
}

/**
 * The router health and readiness GETs of probe-readiness.sh on NODE's 8082, over SCHEME: `http` at
 * localhost, or `https` at IP verified with the CA certificates TRUSTED (the cluster CA file on the node).
 */
export function readinessOver(
  node: Pick<ArtifactoryNodeContract, 'servedCertificate' | 'tls' | 'routerHealthy' | 'ready'>,
  scheme: 'http' | 'https',
  opts: { readonly tls: 'on' | 'off'; readonly ip: string; readonly now: number },
): ReadinessAnswer {
  const answer = { routerHealth: node.routerHealthy() ? 200 : 503, ready: node.ready() };
  const served = node.servedCertificate;
  if (opts.tls !== 'on' || served === undefined) return answer;
  const none = { routerHealth: 0, ready: false };
  if (scheme === 'http') return served.generated === true ? answer : none;
  return rejection(served, node.tls.trustedNow, opts.ip, opts.now) === undefined ? answer : none;
}
