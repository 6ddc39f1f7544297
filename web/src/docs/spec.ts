// Swagger UI 5 does not resolve `$ref` parameters declared on an OpenAPI 3.1
// path item (it shows them as "any"), while it resolves them on operations.
// Coffer's document declares {project}, {env}, {key}… once per path item,
// so the page moves them onto each operation first, which OpenAPI defines
// as the same thing.

type Json = Record<string, unknown>;

const methods = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The name and location of a parameter, following a local
 * `#/components/parameters/…` reference. */
function identity(doc: Json, p: unknown): string {
  let param = p;
  if (isObject(p) && typeof p.$ref === 'string' && p.$ref.startsWith('#/components/parameters/')) {
    const components = isObject(doc.components) ? doc.components : {};
    const params = isObject(components.parameters) ? components.parameters : {};
    param = params[p.$ref.slice('#/components/parameters/'.length)];
  }
  return isObject(param) ? `${String(param.in)}:${String(param.name)}` : '';
}

/** Returns doc with each path item's parameters copied into its
 * operations (an operation's own parameter of the same name and location
 * wins, as OpenAPI says) and removed from the path item. doc is not
 * changed. */
export function hoistPathParameters(doc: Json): Json {
  if (!isObject(doc.paths)) return doc;
  const paths: Json = {};
  for (const [path, item] of Object.entries(doc.paths)) {
    if (!isObject(item) || !Array.isArray(item.parameters) || item.parameters.length === 0) {
      paths[path] = item;
      continue;
    }
    const { parameters: shared, ...rest } = item as Json & { parameters: unknown[] };
    for (const m of methods) {
      const op = rest[m];
      if (!isObject(op)) continue;
      const own = Array.isArray(op.parameters) ? op.parameters : [];
      const overridden = new Set(own.map((p) => identity(doc, p)));
      rest[m] = { ...op, parameters: [...shared.filter((p) => !overridden.has(identity(doc, p))), ...own] };
    }
    paths[path] = rest;
  }
  return { ...doc, paths };
}
