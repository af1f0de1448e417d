/** Quotes an identifier, keeping a schema qualifier: `billing.chargebacks` → `"billing"."chargebacks"`. */
export function quoteQualified(name: string): string {
  return name
    .split('.')
    .map((part) => `"${part.replace(/^"|"$/g, '').replace(/"/g, '""')}"`)
    .join('.');
}
