import { SCENARIOS, startTwinFor } from './scenarios';
async function main() {
  const names = process.argv.slice(2);
  for (const s of SCENARIOS.filter((x) => names.length === 0 || names.includes(x.name))) {
    const twin = await startTwinFor(s, 1);
    twin.world.timeline.onEntry(() => {});
    await s.run(twin, () => {});
    const ex = twin.world.executions;
    const roots = ex.filter((e) => e.parentArn === undefined);
    const total = (e: any): number => e.transitions + (e.children ?? []).reduce((n: number, c: any) => n + total(c), 0);
    const byMachine: Record<string, number> = {};
    for (const e of ex) byMachine[e.stateMachine] = (byMachine[e.stateMachine] ?? 0) + e.transitions;
    console.log(s.name, 'total', ex.reduce((n, e) => n + e.transitions, 0));
    for (const r of roots) console.log('   root', r.stateMachine, r.status, total(r));
    console.log('   by machine', JSON.stringify(byMachine));
    await twin.stop();
  }
}
main();
