/**
 * The custom resource definition the tests validate against: `Widget` of `example.com/v1`, namespaced.
 * Its openAPIV3Schema is given as lines indented by ten spaces; by default `spec.size` is an integer.
 */
export const WIDGET_SIZE_SCHEMA = [
  '          type: object',
  '          properties:',
  '            spec:',
  '              type: object',
  '              properties:',
  '                size: {type: integer}',
].join('\n')

export const widgetCrd = (schemaLines = WIDGET_SIZE_SCHEMA) => `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  names: {kind: Widget, plural: widgets, singular: widget, listKind: WidgetList}
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
${schemaLines}
`

/** A Widget in `default` whose spec.size is written as `size`. */
export const widget = (name: string, size: string) =>
  `apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: ${name}\n  namespace: default\nspec:\n  size: ${size}\n`
