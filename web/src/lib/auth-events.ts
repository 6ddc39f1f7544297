// A tiny channel from the API client (which knows when the session is gone)
// to the router (which knows where the user is): see useUnauthorizedRedirect.
type Listener = () => void;
const listeners = new Set<Listener>();

/** Subscribes to "the session is gone"; returns the unsubscribe function. */
export function onUnauthorized(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Tells every subscriber that the session is gone. */
export function emitUnauthorized(): void {
  for (const l of listeners) l();
}
