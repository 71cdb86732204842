/**
 * The dashboard's share of a region's idle month (issue 15 §5), apart from the budget like the routing machinery:
 * CloudWatch bills a dashboard $3 a month beyond an account's first three (of up to 50 metrics each).
 */
import type { CostLine, Template } from './idle-cost-model';
import { PRICES } from './prices';

export const DASHBOARD_TYPE = 'AWS::CloudWatch::Dashboard';

/** The region's dashboards, one line each: $3, free for an account's first three. */
export function dashboardLines(regional: Template): CostLine[] {
  return Object.entries(regional.Resources)
    .filter(([, r]) => r.Type === DASHBOARD_TYPE)
    .map(([id, r]) => ({
      category: 'CloudWatch dashboard',
      item: `${String(r.Properties?.DashboardName ?? id)} (free within the account's first 3 dashboards of up to 50 metrics)`,
      quantity: 1,
      unit: 'dashboard',
      usdPerMonth: PRICES.cloudwatchDashboard.usd,
    }));
}
