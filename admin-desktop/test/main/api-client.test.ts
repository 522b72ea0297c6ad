import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminClient } from '../../src/main/api-client.js';
import { ProblemError } from '../../src/main/problems.js';
import { ADMIN_TOKEN, closedPort, startTestServer, type TestServer } from '../helpers/server.js';

async function problemOf(work: Promise<unknown>) {
  const error = await work.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ProblemError);
  return (error as ProblemError).problem;
}

/** A loopback server whose answer the test chooses; records what it was sent. */
async function startOddServer(handler: http.RequestListener) {
  const seen: http.IncomingHttpHeaders[] = [];
  const server = http.createServer((req, res) => {
    seen.push(req.headers);
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('AdminClient against the real server', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  it('returns the parsed body of a successful call', async () => {
    const client = new AdminClient({ serverUrl: server.url, token: ADMIN_TOKEN });
    const body = await client.request<{ products: unknown[] }>('GET', '/api/admin/products', {
      what: 'Loading the products',
    });
    expect(Array.isArray(body.products)).toBe(true);
  });

  it('says the token is wrong on 401', async () => {
    const client = new AdminClient({
      serverUrl: server.url,
      token: 'wrong-token-wrong-token-wrong',
    });
    const problem = await problemOf(
      client.request('GET', '/api/admin/orders', { what: 'Loading the orders' }),
    );
    expect(problem).toMatchObject({
      what: 'Loading the orders',
      status: 401,
      code: 'unauthorized',
    });
    expect(problem.cause).toMatch(/refused the admin token/);
    expect(problem.action).toMatch(/Settings/);
  });

  it("passes the server's message on for a refused request", async () => {
    const client = new AdminClient({ serverUrl: server.url, token: ADMIN_TOKEN });
    const problem = await problemOf(
      client.request('POST', '/api/admin/products', {
        what: 'Creating the product',
        json: { name: '' },
      }),
    );
    expect(problem.status).toBe(400);
    expect(problem.code).toBe('invalid_request');
    expect(problem.cause).toMatch(/not valid/);
  });

  it('explains a 404 for an item that does not exist', async () => {
    const client = new AdminClient({ serverUrl: server.url, token: ADMIN_TOKEN });
    const problem = await problemOf(
      client.request('GET', '/api/admin/orders/ord_missing', { what: 'Loading the order' }),
    );
    expect(problem).toMatchObject({
      status: 404,
      code: 'not_found',
      cause: 'There is no order ord_missing.',
    });
    expect(problem.action).toMatch(/Refresh the list/);
  });

  it('tells a missing endpoint apart from a missing item', async () => {
    const client = new AdminClient({ serverUrl: server.url, token: ADMIN_TOKEN });
    const problem = await problemOf(
      client.request('GET', '/api/admin/nothing-here', { what: 'Loading' }),
    );
    expect(problem.status).toBe(404);
    expect(problem.cause).toBe(`The server at ${server.url} does not offer this endpoint.`);
    expect(problem.action).toMatch(/Update the server/);
  });
});

describe('AdminClient when the server is not what it should be', () => {
  it('says the server cannot be reached when nothing listens', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const client = new AdminClient({ serverUrl: url, token: ADMIN_TOKEN });
    const problem = await problemOf(
      client.request('GET', '/api/health', { what: 'Checking the server' }),
    );
    expect(problem.code).toBe('unreachable');
    expect(problem.cause).toBe(`Cannot reach the server at ${url}; is it running?`);
  });

  it('gives up after its deadline when the server never answers', async () => {
    const odd = await startOddServer(() => {
      // Never answer.
    });
    try {
      const client = new AdminClient({ serverUrl: odd.url, token: ADMIN_TOKEN, timeoutMs: 300 });
      const started = Date.now();
      const problem = await problemOf(
        client.request('GET', '/api/health', { what: 'Checking the server' }),
      );
      expect(problem.code).toBe('timeout');
      expect(problem.cause).toMatch(/did not answer in time/);
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      await odd.close();
    }
  });

  it('says an HTML answer is not a Vitrine server', async () => {
    const odd = await startOddServer((_req, res) => {
      res.setHeader('content-type', 'text/html');
      res.end('<!doctype html><h1>Welcome to nginx</h1>');
    });
    try {
      const client = new AdminClient({ serverUrl: odd.url });
      const problem = await problemOf(
        client.request('GET', '/api/health', { what: 'Checking the server' }),
      );
      expect(problem.code).toBe('not_vitrine');
    } finally {
      await odd.close();
    }
  });

  it('does not follow a redirect, so the token never goes to another address', async () => {
    const target = await startOddServer((_req, res) => res.end('{}'));
    const odd = await startOddServer((_req, res) => {
      res.writeHead(302, { location: `${target.url}/api/admin/orders` }).end();
    });
    try {
      const client = new AdminClient({ serverUrl: odd.url, token: ADMIN_TOKEN });
      const problem = await problemOf(
        client.request('GET', '/api/admin/orders', { what: 'Loading the orders' }),
      );
      expect(problem.code).toBe('redirect');
      expect(problem.cause).toContain(target.url);
      expect(target.seen).toHaveLength(0);
    } finally {
      await odd.close();
      await target.close();
    }
  });
});
