/** docs/repository-layout.md shows a full issue file: exactly what the renderer writes for its fixture. */
import t from 'tap';
import { readFile } from 'node:fs/promises';
import { issueDocument } from '../../controller/sync/render/document.ts';
import { documentToYaml } from '../../controller/sync/render/yaml.ts';
import { EXAMPLE_ISSUE, EXAMPLE_PLAN } from '../fixtures/example-issue.ts';

t.test('the full example in docs/repository-layout.md is what the renderer writes for its issue', async (t) => {
  const doc = await readFile(new URL('../../docs/repository-layout.md', import.meta.url), 'utf8');
  const section = doc.slice(doc.indexOf('### A full example'));
  const block = /```yaml\n([\s\S]*?)```/.exec(section)?.[1];
  t.ok(block, 'the section has a yaml block');
  t.equal(block, documentToYaml(issueDocument(structuredClone(EXAMPLE_ISSUE), EXAMPLE_PLAN)));
});
