import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { MANIFEST, writeExport } from './export-files';

const dirs: string[] = [];
async function tempDir() {
  const dir = await mkdtemp(join(tmpdir(), 'xdsflare-export-'));
  dirs.push(dir);
  return dir;
}
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

/** Every file under dir, relative, sorted (hidden ones included). */
async function tree(dir: string): Promise<string[]> {
  return ((await readdir(dir, { recursive: true, withFileTypes: true })) as { name: string; parentPath: string; isFile(): boolean }[])
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();
}

const response = (version: string, size = 1) => ({ version_info: version, type_url: 'type.googleapis.com/envoy.config.cluster.v3.Cluster', resources: Array.from({ length: size }, (_, i) => ({ name: `c${i}`, pad: 'x'.repeat(200) })) });

describe('writeExport', () => {
  it('writes each file into place (creating directories) and records what it wrote; unchanged files are not rewritten', async () => {
    const dir = join(await tempDir(), 'xds');
    const files = [
      { name: 'eds/outbound__9080__v1__reviews.json', content: response('1') },
      { name: 'cds.json', content: response('2') },
      { name: 'lds.json', content: '{"raw": true}\n' },
    ];
    const first = await writeExport(dir, files);
    expect(first).toEqual({ written: files.map((f) => f.name), unchanged: [], removed: [] });
    expect(JSON.parse(await readFile(join(dir, 'cds.json'), 'utf8'))).toEqual(response('2'));
    expect(await readFile(join(dir, 'lds.json'), 'utf8')).toBe('{"raw": true}\n');
    expect(await tree(dir)).toEqual([MANIFEST, 'cds.json', 'eds/outbound__9080__v1__reviews.json', 'lds.json']);

    const again = await writeExport(dir, [files[0]!, { name: 'cds.json', content: response('3') }, files[2]!]);
    expect(again).toEqual({ written: ['cds.json'], unchanged: [files[0]!.name, 'lds.json'], removed: [] });
  });

  it('removes the stale files an earlier export wrote, and nothing it did not write', async () => {
    const dir = await tempDir();
    await writeExport(dir, [
      { name: 'eds/a.json', content: response('1') },
      { name: 'eds/b.json', content: response('1') },
      { name: 'cds.json', content: response('1') },
    ]);
    await writeFile(join(dir, 'eds', 'mine.json'), '{}');
    await writeFile(join(dir, 'notes.json'), '{}');
    const result = await writeExport(dir, [
      { name: 'eds/a.json', content: response('2') },
      { name: 'cds.json', content: response('2') },
    ]);
    expect(result.removed).toEqual(['eds/b.json']);
    expect(await tree(dir)).toEqual([MANIFEST, 'cds.json', 'eds/a.json', 'eds/mine.json', 'notes.json']);
    expect(JSON.parse(await readFile(join(dir, MANIFEST), 'utf8'))).toEqual(['cds.json', 'eds/a.json']);
  });

  it('never removes a file the new export still references (a secret left out for a token without secrets:read), until nothing does', async () => {
    const dir = await tempDir();
    const secret = 'sds/kubernetes_3a_2f_2fweb-cert.json';
    const clusters = (version: string) => ({
      version_info: version,
      type_url: 'type.googleapis.com/envoy.config.cluster.v3.Cluster',
      resources: [{ name: 'tls', transport_socket: { typed_config: { common_tls_context: { tls_certificate_sds_secret_configs: [{ name: 'kubernetes://web-cert', sds_config: { path_config_source: { path: join(dir, secret) }, resource_api_version: 'V3' } }] } } } }],
    });
    await writeExport(dir, [{ name: secret, content: { version_info: '1', resources: [] } }, { name: 'cds.json', content: clusters('1') }]);
    // The edge leaves the secret out (and warns); cds.json still reads it.
    const second = await writeExport(dir, [{ name: 'cds.json', content: clusters('2') }]);
    expect(second.removed).toEqual([]);
    expect(existsSync(join(dir, secret))).toBe(true);
    const third = await writeExport(dir, [{ name: 'cds.json', content: response('3') }]);
    expect(third.removed).toEqual([secret]);
  });

  it('refuses unsafe names before writing anything', async () => {
    const dir = await tempDir();
    for (const name of ['../escape.json', '/etc/passwd.json', 'eds/../../x.json', '.hidden.json', 'eds/.x.json', 'cds.yaml', 'a b.json', 'eds/', 'x|y.json']) {
      await expect(writeExport(dir, [{ name: 'cds.json', content: {} }, { name, content: {} }]), name).rejects.toThrow(/refusing to write/);
    }
    await expect(writeExport(dir, [{ name: 'cds.json', content: {} }, { name: 'cds.json', content: {} }])).rejects.toThrow(/twice/);
    expect(await tree(dir)).toEqual([]);
  });

  it('leaves no temp file behind when a rename fails', async () => {
    const dir = await tempDir();
    await mkdir(join(dir, 'cds.json'));
    await expect(writeExport(dir, [{ name: 'cds.json', content: response('1') }])).rejects.toThrow();
    expect((await tree(dir)).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('is atomic: a reader polling the directory never sees a partial file, and a file is removed only after its replacement is in place', async () => {
    const dir = await tempDir();
    // Big enough that a plain write takes several system calls (a reader would catch it half-done).
    const versions = ['a', 'b', 'c'].map((v) => ({ version: v, files: [{ name: 'eds/one.json', content: response(v, 3000) }, { name: `rds/${v}.json`, content: response(v, 3000) }, { name: 'cds.json', content: response(v, 3000) }] }));
    await writeExport(dir, versions[0]!.files);
    const stop = new Int32Array(new SharedArrayBuffer(4));
    // A reader on another thread, so it really runs while the writer writes.
    const reader = new Worker(
      `const { readdirSync, readFileSync } = require('node:fs');
       const { join } = require('node:path');
       const { workerData, parentPort } = require('node:worker_threads');
       const stop = new Int32Array(workerData.stop);
       const report = { reads: 0, partial: [], noRoute: 0 };
       while (Atomics.load(stop, 0) === 0) {
         for (const sub of ['', 'eds', 'rds']) {
           let names = [];
           try { names = readdirSync(join(workerData.dir, sub)).filter((n) => n.endsWith('.json')); } catch {}
           if (sub === 'rds' && names.length === 0) report.noRoute++;
           for (const n of names) {
             let text;
             try { text = readFileSync(join(workerData.dir, sub, n), 'utf8'); } catch { continue; }
             report.reads++;
             try { JSON.parse(text); } catch { report.partial.push(sub + '/' + n + ' (' + text.length + ' bytes)'); }
           }
         }
       }
       parentPort.postMessage(report);`,
      { eval: true, workerData: { dir, stop: stop.buffer } },
    );
    const done = new Promise<{ reads: number; partial: string[]; noRoute: number }>((resolve, reject) => {
      reader.once('message', resolve);
      reader.once('error', reject);
    });
    for (let round = 0; round < 30; round++) await writeExport(dir, versions[(round + 1) % 3]!.files, { fsync: false });
    Atomics.store(stop, 0, 1);
    const report = await done;
    await reader.terminate();
    expect(report.reads).toBeGreaterThan(30);
    expect(report.partial).toEqual([]);
    // rds/<v>.json is replaced by rds/<next>.json every round: the old one goes only after the new one is there.
    expect(report.noRoute).toBe(0);
    expect((await tree(dir)).filter((f) => f.includes('.tmp-'))).toEqual([]);
    expect(existsSync(join(dir, 'rds', 'a.json'))).toBe(true);
  });
});
