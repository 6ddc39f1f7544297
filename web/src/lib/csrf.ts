// The server sets the CSRF token in a cookie that scripts may read
// (`__Host-coffer_csrf` over HTTPS, `coffer_csrf` on plain HTTP); every
// state-changing request sends it back as X-CSRF-Token (double submit).
const names = ['__Host-coffer_csrf', 'coffer_csrf'];

/** Returns the session's CSRF token, or "" when there is no session. */
export function csrfToken(cookie: string = document.cookie): string {
  for (const part of cookie.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    if (names.includes(name)) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return '';
}

const unsafe = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Reports whether a request method changes state and so needs the token. */
export function needsCsrf(method: string): boolean {
  return unsafe.has(method.toUpperCase());
}
