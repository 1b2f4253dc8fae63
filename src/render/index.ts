/**
 * Sources → rendered text. Plain YAML passes through untouched; ERB and Liquid templates see the same
 * context. Every template is compiled before any is rendered, so a syntax error anywhere fails fast.
 */
import type { Document, Node as YamlNode } from 'yaml'
import type { DiscoveredManifests } from '../discover.js'
import type { RenderedManifest } from '../documents.js'
import { Budget, DEFAULT_LIMITS, type Limits } from '../limits.js'
import type { TemplateContext } from './context.js'

/**
 * `document`, the parsed cluster.yml, gives ERB templates what plain data lost: Integer or Float, key order,
 * key types; it is a parameter of its own, never left out by default, since without it ERB renders plain
 * data silently. `limits`: every template's steps, time and partials; `output-size` for all of them together.
 */
export async function renderTemplates(
  discovered: DiscoveredManifests,
  context: TemplateContext,
  document: Document | undefined,
  limits: Limits = DEFAULT_LIMITS,
): Promise<RenderedManifest[]> {
  const outputBudget = new Budget('output-size', limits)
  // Each engine is loaded only when a template needs it: a set of plain YAML starts faster.
  const engines = new Set(discovered.sources.map((s) => s.engine))
  const erb = engines.has('erb') ? await import('./erb.js') : undefined
  // cluster_config is the document's root and options a part of it; the other variables are not from it.
  const nodes: Record<string, YamlNode | null | undefined> = {
    cluster_config: document?.contents as YamlNode | null | undefined,
    options: document?.getIn(['network', 'custom', 'options'], true) as YamlNode | null | undefined,
  }
  const liquid = engines.has('liquid')
    ? (await import('./liquid.js')).createLiquidRenderer({ root: discovered.root, limits, outputBudget })
    : undefined
  const compiled = discovered.sources.map((source) => {
    switch (source.engine) {
      case 'plain':
        return { source, render: async () => source.text }
      case 'erb': {
        const template = erb!.compileErb(source.text, source.path)
        const render = async (ctx: TemplateContext): Promise<string> =>
          template.render(new erb!.ErbContext({ ...ctx }, nodes, document), { limits, outputBudget })
        return { source, render }
      }
      case 'liquid': {
        const template = liquid!.compile(source.text, source.path)
        return { source, render: (ctx: TemplateContext) => template.render({ ...ctx }) }
      }
    }
  })
  const rendered: RenderedManifest[] = []
  for (const { source, render } of compiled) rendered.push({ source, text: await render(context) })
  return rendered
}
