// The API reference page (/api/docs): a separate entry, so that Swagger UI
// (several hundred KiB) never weighs on the app's first load. It renders the
// document the server serves, so it always matches the running version.
import { StrictMode, useEffect, useState, type ComponentType } from 'react';
import { createRoot } from 'react-dom/client';
import SwaggerUI from 'swagger-ui-react';
import 'swagger-ui-react/swagger-ui.css';
import { csrfToken, needsCsrf } from '../lib/csrf';
import './docs.css';
import { hoistPathParameters } from './spec';

const documentURL = '/api/v1/openapi.json';

/** Sends the session's CSRF token with "Try it out" requests that change
 * state, as the app does, so a signed-in user can call the API from here. */
function withCsrf<R extends { method?: string; headers?: Record<string, string> }>(req: R): R {
  const token = csrfToken();
  if (token && needsCsrf(req.method ?? 'GET')) req.headers = { ...req.headers, 'X-CSRF-Token': token };
  return req;
}

/** Swagger UI plugin that fixes what an accessibility audit finds in its
 * layout. */
const accessible = {
  wrapComponents: {
    // The document names one server, "/" (the instance serving it): a
    // picker with one choice and no label helps no one.
    ServersContainer: () => () => null,
    // Tags are h3 under the document's h1: the list gets the h2 between.
    operations: (Original: ComponentType<object>) => (props: object) => (
      <>
        <h2 className="visually-hidden">Operations</h2>
        <Original {...props} />
      </>
    ),
  },
};

/** The reference: the served document, once loaded, in Swagger UI. */
function Reference() {
  const [spec, setSpec] = useState<Record<string, unknown> | null>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    fetch(documentURL, { headers: { Accept: 'application/json' } })
      .then((res) => (res.ok ? res.json() : Promise.reject(new Error(`${documentURL} answered ${res.status}`))))
      .then(
        (doc: Record<string, unknown>) => setSpec(hoistPathParameters(doc)),
        (e: unknown) => setError(e instanceof Error ? e.message : String(e)),
      );
  }, []);
  if (error) return <p role="alert">The API document could not be loaded: {error}</p>;
  if (!spec) return <p role="status">Loading the API document…</p>;
  return (
    <SwaggerUI spec={spec} docExpansion="list" deepLinking requestInterceptor={withCsrf} plugins={[accessible]} />
  );
}

const root = document.getElementById('docs');
if (root) {
  createRoot(root).render(
    <StrictMode>
      <header className="docs-header">
        <a href="/" className="docs-brand">
          Coffer
        </a>
        <span>API reference</span>
        <a href={documentURL}>OpenAPI document (JSON)</a>
      </header>
      <main id="main">
        <Reference />
      </main>
    </StrictMode>,
  );
}
