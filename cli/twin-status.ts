/** `hactl status` of a running twin world (`npm start` ends with it). */
import { PassThrough } from 'node:stream';
import { awsLoader } from './aws-loader';
import type { BackendLoader } from './context';
import { main } from './hactl';
import { TwinBackend, type TwinWorld } from './twin-backend';

/**
 * `hactl status` of a world already running (`npm start` ends with the last scene's): its output, as a non-TTY
 * prints it (plain, no colour). The world is not stopped.
 */
export async function statusOf(world: TwinWorld): Promise<{ code: number; text: string }> {
  let text = '';
  const sink = new PassThrough();
  sink.on('data', (d) => {
    text += String(d);
  });
  const loader: BackendLoader = async () => ({
    config: world.twin.world.config,
    backend: new TwinBackend(world),
  });
  const code = await main(
    ['node', 'hactl', '--twin', 'status'],
    { stdout: sink, stderr: sink, stdin: new PassThrough(), env: { NO_COLOR: '1' } },
    { aws: awsLoader(), twin: loader },
  );
  return { code, text };
}
