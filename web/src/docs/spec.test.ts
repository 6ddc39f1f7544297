import { describe, expect, it } from 'vitest';
import { hoistPathParameters } from './spec';

const doc = {
  openapi: '3.1.0',
  components: {
    parameters: {
      Project: { name: 'project', in: 'path', required: true, schema: { type: 'string' } },
      Env: { name: 'env', in: 'path', required: true, schema: { type: 'string' } },
    },
  },
  paths: {
    '/projects/{project}/environments/{env}': {
      summary: 'An environment',
      parameters: [{ $ref: '#/components/parameters/Project' }, { $ref: '#/components/parameters/Env' }],
      get: { operationId: 'getEnvironment', parameters: [{ name: 'since', in: 'query' }] },
      // An operation's own parameter of the same name and location wins.
      patch: { operationId: 'updateEnvironment', parameters: [{ name: 'env', in: 'path', description: 'own' }] },
      delete: { operationId: 'deleteEnvironment' },
    },
    '/health': { get: { operationId: 'health' } },
  },
};

describe('hoistPathParameters', () => {
  const out = hoistPathParameters(doc) as typeof doc;
  const item = out.paths['/projects/{project}/environments/{env}'] as Record<string, { parameters?: unknown[] }>;

  it('moves path-item parameters onto every operation, before its own', () => {
    expect(item.get?.parameters).toEqual([
      { $ref: '#/components/parameters/Project' },
      { $ref: '#/components/parameters/Env' },
      { name: 'since', in: 'query' },
    ]);
    expect(item.delete?.parameters).toEqual([
      { $ref: '#/components/parameters/Project' },
      { $ref: '#/components/parameters/Env' },
    ]);
    expect(item).not.toHaveProperty('parameters');
    expect(item).toHaveProperty('summary', 'An environment');
  });

  it("keeps an operation's own parameter over the path item's", () => {
    expect(item.patch?.parameters).toEqual([
      { $ref: '#/components/parameters/Project' },
      { name: 'env', in: 'path', description: 'own' },
    ]);
  });

  it('leaves other paths and the input alone', () => {
    expect(out.paths['/health']).toBe(doc.paths['/health']);
    expect(doc.paths['/projects/{project}/environments/{env}'].parameters).toHaveLength(2);
    expect(hoistPathParameters({ openapi: '3.1.0' })).toEqual({ openapi: '3.1.0' });
  });
});
