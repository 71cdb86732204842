/**
 * The twin's latency between regions, for Route 53's latency-based routing (sim/services/route53.ts). AWS
 * publishes no inter-region latency table (Route 53 measures it), so this is a model; see {@link latencyMs}.
 */

/**
 * Approximate location (latitude, longitude) of each AWS region's metro area, from AWS's regional naming (e.g.
 * us-east-1 Northern Virginia, eu-west-1 Ireland).
 */
const REGION_LOCATIONS: Readonly<Record<string, readonly [number, number]>> = {
  'af-south-1': [-33.9, 18.4],
  'ap-east-1': [22.3, 114.2],
  'ap-east-2': [25.0, 121.5],
  'ap-northeast-1': [35.7, 139.7],
  'ap-northeast-2': [37.6, 127.0],
  'ap-northeast-3': [34.7, 135.5],
  'ap-south-1': [19.1, 72.9],
  'ap-south-2': [17.4, 78.5],
  'ap-southeast-1': [1.35, 103.8],
  'ap-southeast-2': [-33.9, 151.2],
  'ap-southeast-3': [-6.2, 106.8],
  'ap-southeast-4': [-37.8, 145.0],
  'ap-southeast-5': [3.1, 101.7],
  'ap-southeast-7': [13.8, 100.5],
  'ca-central-1': [45.5, -73.6],
  'ca-west-1': [51.0, -114.1],
  'eu-central-1': [50.1, 8.7],
  'eu-central-2': [47.4, 8.5],
  'eu-north-1': [59.3, 18.1],
  'eu-south-1': [45.5, 9.2],
  'eu-south-2': [41.6, -0.9],
  'eu-west-1': [53.3, -6.3],
  'eu-west-2': [51.5, -0.1],
  'eu-west-3': [48.9, 2.4],
  'il-central-1': [32.1, 34.8],
  'me-central-1': [25.2, 55.3],
  'me-south-1': [26.1, 50.6],
  'mx-central-1': [20.6, -100.4],
  'sa-east-1': [-23.5, -46.6],
  'us-east-1': [38.9, -77.4],
  'us-east-2': [40.0, -83.0],
  'us-west-1': [37.8, -122.4],
  'us-west-2': [45.8, -119.7],
};

/**
 * The twin's latency model (AWS publishes no inter-region latency table; Route 53 measures it): 0 ms within a
 * region; otherwise a round trip over fibre along the great circle between the regions' metro areas, with light
 * at 2/3 c (~100 km per ms of round trip) and routes 1.5 times the great-circle distance, plus 2 ms. Regions
 * without a known location get a fixed value from a hash of the pair, so the model stays deterministic and
 * symmetric.
 */
export function latencyMs(from: string, to: string): number {
  if (from === to) return 0;
  const a = REGION_LOCATIONS[from];
  const b = REGION_LOCATIONS[to];
  if (!a || !b) {
    const [x, y] = from < to ? [from, to] : [to, from];
    let h = 0x811c9dc5;
    for (const ch of `${x}|${y}`) h = Math.imul(h ^ ch.charCodeAt(0), 16777619);
    return 50 + ((h >>> 0) % 250);
  }
  const rad = Math.PI / 180;
  const [lat1, lon1] = [a[0] * rad, a[1] * rad];
  const [lat2, lon2] = [b[0] * rad, b[1] * rad];
  const h =
    Math.sin((lat2 - lat1) / 2) ** 2 + Math.cos(lat1) * Math.cos(lat2) * Math.sin((lon2 - lon1) / 2) ** 2;
  const km = 2 * 6371 * Math.asin(Math.min(1, Math.sqrt(h)));
  return Math.round((km * 1.5) / 100) + 2;
}
