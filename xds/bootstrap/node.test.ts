import { describe, expect, it } from 'vitest';
import { bootstrapNode } from './node';

describe('bootstrapNode', () => {
  it('always names node.cluster, which Envoy requires before it subscribes to anything', () => {
    expect(bootstrapNode({ id: 'edge-1', labels: {} }).cluster).toBe('edge-1');
    expect(bootstrapNode({ id: 'reviews-7f9c', labels: { app: 'reviews' }, namespace: 'bookinfo' }).cluster).toBe('reviews.bookinfo');
    expect(bootstrapNode({ id: 'reviews-7f9c', labels: { app: 'reviews' } }).cluster).toBe('reviews.default');
    expect(bootstrapNode({ id: 'x', cluster: 'ingress', labels: { app: 'reviews' } }).cluster).toBe('ingress');
  });
});
