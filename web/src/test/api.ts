/** A problem+json answer as the server sends it; the client shows only
 * its detail. */
export const problem = (status: number, detail: string) =>
  new Response(JSON.stringify({ type: 'about:blank', title: 'Conflict', status, detail, code: 'conflict', request_id: 'r1' }), {
    status,
    headers: { 'Content-Type': 'application/problem+json' },
  });
