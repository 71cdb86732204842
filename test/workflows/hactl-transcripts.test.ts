/** docs/hactl.md's transcripts are real: every command runs again on the same world and prints and exits as shown. */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  parseTranscripts,
  renderTranscript,
  TRANSCRIPT_COMMANDS,
  TRANSCRIPT_WORLD,
  takeTranscripts,
} from '../../cli/transcripts';

jest.setTimeout(240_000);

const PAGE = path.resolve(__dirname, '../../docs/hactl.md');

describe('docs/hactl.md (npm run transcripts)', () => {
  it('shows each command of TRANSCRIPT_COMMANDS, in order, with the output and exit code of a fresh run', async () => {
    const shown = parseTranscripts(readFileSync(PAGE, 'utf8'));
    expect(shown).toHaveLength(TRANSCRIPT_COMMANDS.length);
    const fresh = await takeTranscripts();
    for (const [i, t] of fresh.entries()) {
      const rendered = parseTranscripts(`${renderTranscript(t)}\n`)[0];
      expect(shown[i]?.line).toBe(rendered?.line);
      expect(shown[i]?.code).toBe(t.code);
      // `npm run transcripts` rewrites the page when this fails.
      expect(shown[i]?.output).toBe(rendered?.output);
    }
    expect(fresh.map((t) => t.code)).toEqual([0, 2, 0, 0, 0, 2, 4]);
    expect(TRANSCRIPT_WORLD).toContain('--twin');
  });
});
