import { emfLine } from '../../../functions/watch/emf';

describe('the watch’s EMF datapoint', () => {
  const point = {
    namespace: 'ArtifactoryHA',
    metricName: 'PrimaryHealthy',
    dimensions: { Cluster: 'c', Region: 'eu-west-1' },
    value: 1,
    timestamp: Date.UTC(2026, 0, 1, 10, 7),
  };

  it('is one JSON line naming exactly the given dimensions, the value and the minute', () => {
    const line = emfLine(point);
    expect(line).not.toContain('\n');
    expect(JSON.parse(line)).toEqual({
      _aws: {
        Timestamp: point.timestamp,
        CloudWatchMetrics: [
          {
            Namespace: 'ArtifactoryHA',
            Dimensions: [['Cluster', 'Region']],
            Metrics: [{ Name: 'PrimaryHealthy', Unit: 'Count' }],
          },
        ],
      },
      Cluster: 'c',
      Region: 'eu-west-1',
      PrimaryHealthy: 1,
    });
  });

  it.each([
    ['no namespace', { namespace: '' }, /namespace/],
    ['no dimension', { dimensions: {} }, /1-30 dimensions/],
    ['a NaN value', { value: Number.NaN }, /finite value/],
    ['a fractional timestamp', { timestamp: 1.5 }, /epoch-millisecond/],
  ])('refuses %s', (_what, change, message) => {
    expect(() => emfLine({ ...point, ...change })).toThrow(message);
  });
});
