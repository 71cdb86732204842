/** The certs Lambda's census ops (see ./handler): the probe a run sends, and one batch's reading of it. */
import { type CensusProbe, censusProbe, readProbeBatch, type ServedSeen } from '../core/cert-census';
import { caPhases } from '../core/cert-rotation';
import { readPki } from './cluster';
import type { CertsConfig, CertsDeps } from './config';
import type { OpRequest } from './input';
import { validatedInput } from './ops';

/**
 * `census`: the peer and the batches a renewal run probes (a CA rotation's passes plan from the records, and a
 * run that names its nodes renews them whatever they serve: both probe nothing). The input is validated here too: a bad one is refused before any command is sent.
 */
export async function census(
  request: OpRequest<'census'>,
  config: CertsConfig,
  deps: CertsDeps,
): Promise<CensusProbe> {
  const { input, cluster } = await validatedInput(request.input, config, deps);
  const pki = await readPki(config, deps);
  if (caPhases(pki.rotation, pki.active, config.settings.caGeneration, input.caRotation).length > 0) {
    return { peer: null, batches: [], skipped: 'a CA rotation plans from the records' };
  }
  // An operator's named nodes renew whatever they serve: probing them would only delay the rotation (and hold
  // a primary's restart back past a failover it should follow: cert-rotation-vs-failover).
  if (input.nodes !== undefined) {
    return { peer: null, batches: [], skipped: 'the run names its nodes: each renews whatever it serves' };
  }
  const probe = censusProbe(cluster);
  deps.logger.info('census probe', { peer: probe.peer, batches: probe.batches.length });
  return probe;
}

/** `served`: one batch's ProbeServedCertificate stdout (ProbeOutputInvalid when it is not what was asked). */
export function served(request: OpRequest<'served'>): { seen: ServedSeen[] } {
  return { seen: readProbeBatch(request.stdout, request.targets) };
}
