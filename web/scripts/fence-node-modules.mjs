// npm packages sometimes ship Go files (flatted does); a go.mod in
// node_modules makes it a module of its own, so `go test ./...` and
// `go vet ./...` in the repository never wander into it.
import { existsSync, writeFileSync } from 'node:fs';

if (existsSync('node_modules')) {
  writeFileSync('node_modules/go.mod', 'module coffer.invalid/web-node-modules\n');
}
