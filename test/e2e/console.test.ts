import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEcho, type EchoBackend, type EchoClient } from '../support/bridge-fixtures';
import { launchChromium, type Browser } from '../support/browser';
import { echoMesh } from '../support/echo-mesh';
import { eventually, split } from '../support/echo-traffic';
import { GRPC_CLIENTS } from '../support/grpc-clients';
import { adminApi, startEdge, type RunningEdge } from '../support/start-server';

// The web console in a real browser (Debian's Chromium, driven by playwright-core) against the edge as
// `npm start` runs it, with its bridge and a real proxyless gRPC client (grpc-js): the operator's token
// pasted in, the services page drawing the split, the client SYNCED then NACKing a DestinationRule with
// TLS (proxyless gRPC takes TLS only from its own bootstrap), a rollout's chart stepping, pause and resume
// from its buttons, a rollback from the history and a rollout's abort, each through its confirmation dialog. Every page is
// screenshotted at laptop and phone sizes; any console error or failed request fails the test.
const PORT = 8794;
const NS = 'console';
const HOST = `echo.${NS}.svc.cluster.local`;
const NODE = 'console-grpc-js';
const CDS = 'type.googleapis.com/envoy.config.cluster.v3.Cluster';
const PHONE = { width: 390, height: 844 };
const LAPTOP = { width: 1280, height: 800 };

describe('the web console in Chromium, against npm start with a bridge and a gRPC client', () => {
  let cp: RunningEdge;
  let browser: Browser;
  let page: Page;
  let client: EchoClient | undefined;
  let token: string;
  const backends: Record<string, EchoBackend> = {};
  let ports: Record<string, number>;
  const api = adminApi(() => `http://127.0.0.1:${PORT}`);
  const shots = mkdtempSync(join(tmpdir(), 'xdsflare-console-screenshots-'));
  /** The whole page, or what is on the screen (a modal dialog covers the screen only). */
  const shot = async (name: string, fullPage = true) => {
    await page.screenshot({ path: join(shots, `${name}.png`), fullPage });
  };
  const mesh = (weights: Record<string, number>, ruleExtra = '') => echoMesh({ host: HOST, namespace: NS, endpoints: ports, weights, subsets: ['v1', 'v2'], ruleExtra });
  const go = async (hash: string) => {
    // Expressions as strings: this file is type-checked without the DOM's types (they would clash with workerd's).
    await page.evaluate(`location.hash = ${JSON.stringify(hash)}`);
  };
  const cdsBadge = () => page.locator(`tr[data-node="${NODE}"] td[data-type="CDS"] .badge`);

  beforeAll(async () => {
    console.log(`console screenshots: ${shots}`);
    browser = await launchChromium();
    page = browser.page;
    for (const v of ['v1', 'v2']) backends[v] = await startEcho(v);
    ports = Object.fromEntries(Object.entries(backends).map(([v, b]) => [v, b.port]));
    cp = await startEdge(PORT);
    // An operator's token, as `xdsflare token create` makes one: reads and writes config, nothing else.
    token = (await api('POST', '/api/v1/tokens', { name: 'console-operator', scopes: ['config:read', 'config:write'] })).token;
    await api('POST', '/api/v1/apply', mesh({ v1: 80, v2: 20 }));
  }, 150_000);
  afterAll(async () => {
    client?.close();
    await browser?.close();
    await cp?.stop();
    await Promise.all(Object.values(backends).map((b) => b.stop()));
  });

  it('asks for a token, keeps it in the tab only, and renders the services with the split on each edge', async () => {
    const requested: string[] = [];
    page.on('request', (r) => requested.push(r.url()));
    let started = Date.now();
    await page.goto(`${cp.base}/`);
    await page.locator('input[name="token"]').waitFor();
    const signInMs = Date.now() - started;
    await shot('laptop-0-sign-in');
    await page.fill('input[name="token"]', token);
    await page.click('button[type="submit"]');
    await page.locator('[data-service="console/echo"]').waitFor();
    // The operator's first render: a reload with the token already in the tab, until the data is drawn.
    started = Date.now();
    await page.reload();
    await page.locator('[data-service="console/echo"] svg.split').waitFor();
    const firstRenderMs = Date.now() - started;
    const navigation = await page.evaluate(() => JSON.parse(JSON.stringify(performance.getEntriesByType('navigation')[0])) as { domContentLoadedEventEnd: number; loadEventEnd: number });
    console.log(`first render against npm start: sign-in form ${signInMs} ms; signed in, services drawn ${firstRenderMs} ms after reload (DOMContentLoaded ${Math.round(navigation.domContentLoadedEventEnd)} ms, load ${Math.round(navigation.loadEventEnd)} ms)`);

    const edges = page.locator('[data-service="console/echo"] g.edge');
    expect(await edges.evaluateAll((gs) => gs.map((g) => [g.getAttribute('data-subset'), g.getAttribute('data-weight')]))).toEqual([
      ['v1', '80'],
      ['v2', '20'],
    ]);
    // Each destination's Envoy cluster, as the edge names it (xds/envoy/names.ts).
    expect(await page.locator('[data-service="console/echo"] ul.clusters').innerText()).toBe(`80% → outbound|7070|v1|${HOST}\n20% → outbound|7070|v2|${HOST}`);
    await shot('laptop-1-services');

    expect(await page.evaluate(() => sessionStorage.getItem('xdsflare.token'))).toBe(token);
    expect(await page.evaluate(() => localStorage.length)).toBe(0);
    expect(requested.filter((u) => u.includes(token))).toEqual([]);
    expect(requested.some((u) => u.includes('/api/v1/virtualservices'))).toBe(true);
  }, 60_000);

  it('lists a gRPC client as SYNCED per type, then its NACK of a DestinationRule with TLS with the message', async () => {
    client = await GRPC_CLIENTS[0]!.connect(cp.bridge!.adsPort, `${HOST}:7070`, NODE);
    await eventually(async () => ((await split(client!.call, 5).catch(() => ({}) as Record<string, number>)).v1 ? true : undefined), 15_000);
    await go('#/proxies');
    await expect.poll(() => cdsBadge().textContent(), { timeout: 20_000, interval: 250 }).toBe('SYNCED');
    for (const type of ['LDS', 'RDS', 'EDS']) expect(await page.locator(`tr[data-node="${NODE}"] td[data-type="${type}"] .badge`).textContent(), type).toBe('SYNCED');
    expect(await page.locator(`tr[data-node="${NODE}"]`).innerText()).toMatch(/ads · bridge/);
    await shot('laptop-2-proxies-synced');

    await api('POST', '/api/v1/apply', mesh({ v1: 80, v2: 20 }, '  trafficPolicy: {tls: {mode: SIMPLE}}'));
    await expect.poll(() => cdsBadge().textContent(), { timeout: 20_000, interval: 250 }).toBe('NACK');
    const shown = await page.locator(`tr[data-nack-for="${NODE}"] pre.nack-message`).first().textContent();
    const { items } = await api('GET', '/api/v1/proxies');
    const reported = items.find((p: { nodeId: string }) => p.nodeId === NODE).subscriptions[CDS].nack.message as string;
    console.log('NACK as the console shows it:', shown);
    expect(shown).toBe(reported);
    expect(shown).toMatch(/tls|certificate_provider|transport_socket/i);
    await shot('laptop-3-proxies-nack');
    await page.setViewportSize(PHONE);
    await shot('phone-3-proxies-nack');
    await page.setViewportSize(LAPTOP);

    // The pipeline rolls back to the config the client kept: nothing new to send, and the NACK clears.
    await api('POST', '/api/v1/apply', mesh({ v1: 80, v2: 20 }));
    await expect.poll(() => cdsBadge().textContent(), { timeout: 20_000, interval: 250 }).toBe('SYNCED');
    expect(await page.locator(`tr[data-nack-for="${NODE}"]`).count()).toBe(0);
    // Then forward to a config the client takes: SYNCED once it acknowledges the new clusters.
    await api('POST', '/api/v1/apply', mesh({ v1: 100 }, '  trafficPolicy: {connectionPool: {tcp: {connectTimeout: 3s}}}'));
    await expect.poll(() => cdsBadge().textContent(), { timeout: 20_000, interval: 250 }).toBe('SYNCED');
  }, 90_000);

  it('draws a rollout advancing step by step, and pauses and resumes it from its buttons', async () => {
    const steps = [25, 50, 100];
    const started = await api('POST', '/api/v1/rollouts', { name: 'echo-v2', virtualService: { namespace: NS, name: 'echo' }, stable: { host: HOST, subset: 'v1' }, candidate: { host: HOST, subset: 'v2' }, steps, pauseSeconds: 5, timeoutSeconds: 60 });
    await go(`#/rollouts/${started.id}`);
    for (const [i, weight] of steps.entries()) {
      // Each step: the headline weight, and one more point on the chart (the points are the steps started).
      await expect.poll(() => page.locator('strong[data-weight]').getAttribute('data-weight'), { timeout: 40_000, interval: 200 }).toBe(String(weight));
      await expect.poll(() => page.locator('svg.chart .point').count(), { timeout: 5_000, interval: 200 }).toBe(i + 1);
      expect(await page.locator('svg.chart .point text').last().textContent()).toBe(`step ${i + 1}: ${weight}%`);
      await shot(`laptop-4-rollout-step-${i + 1}`);
      if (i === 1) {
        await page.click('button[data-action="pause"]');
        await expect.poll(() => page.locator('h2 .badge').textContent(), { timeout: 10_000, interval: 200 }).toBe('paused');
        expect((await api('GET', `/api/v1/rollouts/${started.id}`)).state).toBe('paused');
        await shot('laptop-4-rollout-paused');
        await page.click('button[data-action="resume"]');
        await expect.poll(() => page.locator('h2 .badge').textContent(), { timeout: 10_000, interval: 200 }).toBe('progressing');
      }
    }
    await expect.poll(() => page.locator('h2 .badge').textContent(), { timeout: 40_000, interval: 250 }).toBe('succeeded');
    expect(await page.locator('ol.steps .badge').allTextContents()).toEqual(['converged', 'converged', 'converged']);
    await shot('laptop-5-rollout-succeeded');
    await page.setViewportSize(PHONE);
    await shot('phone-5-rollout-succeeded');
    await page.setViewportSize(LAPTOP);
    // The services page names no owner once the rollout is done, and draws its result.
    await go('#/mesh');
    await expect.poll(() => page.locator('[data-service="console/echo"] g.edge').evaluateAll((gs) => gs.map((g) => g.getAttribute('data-weight')))).toEqual(['100']);
    expect(await page.locator('a.badge.owner').count()).toBe(0);
  }, 150_000);

  it('rolls back to a revision from the history after its confirmation dialog', async () => {
    const rollout = (await api('GET', '/api/v1/rollouts?limit=1')).items[0];
    const target = rollout.baseRevision as number;
    await go('#/history');
    await page.locator(`li[data-revision="${target}"] a`).waitFor();
    await shot('laptop-6-history');
    await page.click(`li[data-revision="${target}"] a`);
    await page.locator('.diff').first().waitFor();
    expect(await page.locator('section').innerText()).toContain(`VirtualService ${NS}/echo`);
    await shot('laptop-7-revision');

    const before = (await api('GET', '/api/v1/revisions?limit=1')).items[0].revision as number;
    await page.click('button.danger');
    await page.locator('dialog.confirm[open]').waitFor();
    await shot('laptop-8-rollback-confirm', false);
    // Cancel sends nothing.
    await page.click('dialog.confirm button[type="button"]');
    expect((await api('GET', '/api/v1/revisions?limit=1')).items[0].revision).toBe(before);
    await page.click('button.danger');
    await page.click('dialog.confirm button[type="submit"]');
    await page.locator('.notice', { hasText: 'Rolled back' }).waitFor();
    const head = (await api('GET', '/api/v1/revisions?limit=1')).items[0];
    expect(head.revision).toBe(before + 1);
    expect(head.source.rollbackTo).toBe(String(target));
    expect(head.author).toBe('console-operator');
    const vs = await api('GET', `/api/v1/namespaces/${NS}/virtualservices/echo`);
    expect(vs.spec.http[0].route).toEqual([{ destination: { host: HOST, subset: 'v1' }, weight: 100 }]);
    await shot('laptop-9-rolled-back');
  }, 60_000);

  it('aborts a rollout from its button after the confirmation, with the reason, and shows the rollback', async () => {
    const started = await api('POST', '/api/v1/rollouts', { name: 'echo-v2-again', virtualService: { namespace: NS, name: 'echo' }, stable: { host: HOST, subset: 'v1' }, candidate: { host: HOST, subset: 'v2' }, steps: [10, 100], pauseSeconds: 300, timeoutSeconds: 60 });
    await go(`#/rollouts/${started.id}`);
    await expect.poll(() => page.locator('strong[data-weight]').getAttribute('data-weight'), { timeout: 20_000, interval: 200 }).toBe('10');
    await page.click('button[data-action="abort"]');
    await page.locator('dialog.confirm[open]').waitFor();
    await page.fill('dialog.confirm input', 'seen enough in the console');
    await shot('laptop-10-abort-confirm', false);
    await page.click('dialog.confirm button[type="submit"]');
    await expect.poll(() => page.locator('h2 .badge').textContent(), { timeout: 15_000, interval: 200 }).toBe('aborted');
    await page.locator('.abort a', { hasText: 'revision' }).waitFor();
    const aborted = await api('GET', `/api/v1/rollouts/${started.id}`);
    expect(aborted.abort).toMatchObject({ reason: 'manual', message: expect.stringContaining('seen enough in the console') });
    expect(await page.locator('.abort').innerText()).toContain(`Rolled back in revision ${aborted.abort.rollbackRevision}`);
    const vs = await api('GET', `/api/v1/namespaces/${NS}/virtualservices/echo`);
    expect(vs.spec.http[0].route).toEqual([{ destination: { host: HOST, subset: 'v1' }, weight: 100 }]);
    await shot('laptop-11-rollout-aborted');
  }, 60_000);

  it('fits a phone screen on every page, and saw no console error or failed request', async () => {
    await page.setViewportSize(PHONE);
    for (const [name, hash, ready] of [
      ['services', '#/mesh', '[data-service]'],
      ['proxies', '#/proxies', `tr[data-node="${NODE}"]`],
      ['history', '#/history', 'li[data-revision]'],
      ['rollouts', '#/rollouts', 'li[data-rollout]'],
    ] as const) {
      await go(hash);
      await page.locator(ready).first().waitFor();
      await shot(`phone-${name}`);
      const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
      expect(overflow, `${name} scrolls sideways on a phone`).toBeLessThanOrEqual(0);
    }
    await page.setViewportSize(LAPTOP);
    expect(browser.problems).toEqual([]);
  }, 30_000);
});
