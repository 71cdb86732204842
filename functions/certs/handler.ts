/**
 * certs: cert-rotation's Lambda steps, one `op` per call. `plan` validates a run's input and plans it from
 * the cluster's instances and records (changes nothing) and what the census's probe saw; `census` names the
 * peer and the batches the run probes from it; `served` reads one batch's probe; `floor` refuses to take a node out when the healthy
 * targets left would go under cluster.minHealthyNodes; `verify` compares the certificate a peer saw served
 * with the issued one; `record` writes the node's verified certificate into its record. Decisions are pure
 * functions of functions/core/cert-rotation.ts and cert-policy.ts.
 */
import { autoScaling } from '../shared/clients/auto-scaling';
import { dynamoDoc } from '../shared/clients/dynamodb';
import { ec2 } from '../shared/clients/ec2';
import { elbv2 } from '../shared/clients/elbv2';
import { makeHandler } from '../shared/handler';
import { census, served } from './census';
import { type CertsDeps, loadCertsConfig } from './config';
import { type CertsRequest, CertsRequestSchema } from './input';
import { floor, plan, record, verify } from './ops';

/** Run one op with the deployment's config and one `now` for the whole call. */
export async function certs(request: CertsRequest, deps: CertsDeps): Promise<unknown> {
  const config = loadCertsConfig(deps.env);
  const now = (deps.now ?? Date.now)();
  switch (request.op) {
    case 'plan':
      return plan(request, config, deps, now);
    case 'census':
      return census(request, config, deps);
    case 'served':
      return served(request);
    case 'floor':
      return floor(request, config, deps);
    case 'verify':
      return verify(request);
    case 'record':
      return record(request, config, deps, now);
  }
}

export const handler = makeHandler(
  CertsRequestSchema,
  { dynamoDoc, autoScaling, ec2, elbv2 },
  (request, ctx) => certs(request, ctx),
  { inputName: 'certs request' },
);
