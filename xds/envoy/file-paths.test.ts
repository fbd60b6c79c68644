import { describe, expect, it } from 'vitest';
import { fileNameOf, pathConfigSource } from './file-paths';

describe('fileNameOf', () => {
  it('keeps names readable: cluster bars become __, other unsafe bytes _hh', () => {
    expect(fileNameOf('outbound|9080|v1|reviews.default.svc.cluster.local')).toBe('outbound__9080__v1__reviews.default.svc.cluster.local.json');
    expect(fileNameOf('outbound|443||bank.example.com')).toBe('outbound__443____bank.example.com.json');
    expect(fileNameOf('reviews.default.svc.cluster.local:9080')).toBe('reviews.default.svc.cluster.local_3a9080.json');
    expect(fileNameOf('kubernetes://web-cert')).toBe('kubernetes_3a_2f_2fweb-cert.json');
    expect(fileNameOf('9080')).toBe('9080.json');
  });

  it('never makes a hidden file, a path separator or a non-portable character', () => {
    for (const name of ['.', '..', '.hidden', '../../etc/passwd', 'a/b', 'ü*?"<>\\ x', '\u0000']) {
      expect(fileNameOf(name), name).toMatch(/^[A-Za-z0-9_-][A-Za-z0-9._-]*\.json$/);
    }
  });

  it('is one-to-one: names that differ only in escaped characters get different files', () => {
    const names = ['a|b', 'a_b', 'a__b', 'a_7cb', 'a:b', 'a||b', 'a_|b', '|', '_', '__', '.a', '_2ea'];
    expect(new Set(names.map(fileNameOf)).size).toBe(names.length);
  });

  it('cuts long names with a hash, under every file system limit', () => {
    const a = `outbound|443||${'x'.repeat(240)}.example.com`;
    const b = `outbound|443||${'x'.repeat(240)}.example.org`;
    expect(fileNameOf(a).length).toBeLessThanOrEqual(205);
    expect(fileNameOf(a)).not.toBe(fileNameOf(b));
  });
});

it('pathConfigSource reads one file, reloaded when that file (and no other) is renamed into place', () => {
  // Envoy watches a plain path for moves onto it (inotify on the parent directory, filtered by name). A
  // watched_directory would reload every file of that directory whenever any one of them is renamed.
  expect(pathConfigSource('/x/', 'endpoints', 'outbound|80||h')).toEqual({ path_config_source: { path: '/x/eds/outbound__80____h.json' }, resource_api_version: 'V3' });
});
