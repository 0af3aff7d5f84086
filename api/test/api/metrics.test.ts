/**
 * Metrics exist before their first event: every order series (side × type × time in force ×
 * channel) and every subscription topic is exported at 0 from the start, so rate() sees the
 * first order and dashboards show a flat line rather than no data. The topic list is the
 * schema's subscription fields, so a new subscription cannot be left out.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { createSchema } from '../../src/graphql/schema.js';
import { SUBSCRIPTION_TOPICS } from '../../src/metrics.js';

describe('metrics at start', () => {
  let t: TestApp;
  let text: string;
  beforeAll(async () => {
    t = await startTestApp('sqlite');
    text = await (await fetch(t.url.replace(/\/graphql$/, '/metrics'))).text();
  });
  afterAll(async () => t?.dispose());

  it('exports all 32 order series at 0', () => {
    const series = text.split('\n').filter((l) => l.startsWith('trading_orders_received_total{'));
    expect(series).toHaveLength(32);
    expect(series.every((l) => l.endsWith(' 0'))).toBe(true);
    expect(series).toContain('trading_orders_received_total{side="SELL",ord_type="MARKET",tif="FOK",channel="fix"} 0');
  });

  it('exports every subscription topic at 0, and the topics are the schema subscription fields', async () => {
    const fields = Object.keys((await createSchema()).getSubscriptionType()!.getFields()).sort();
    expect([...SUBSCRIPTION_TOPICS].sort()).toEqual(fields);
    for (const topic of SUBSCRIPTION_TOPICS) expect(text).toContain(`trading_ws_subscriptions{topic="${topic}"} 0`);
  });
});
