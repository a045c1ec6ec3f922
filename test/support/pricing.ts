/** Test support: reading prices out of the Pricing API's price-list documents. */

/** The single OnDemand USD price of a price-list item (GetProducts' PriceList entry, parsed). */
export function onDemandUsd(item: any): number {
  const [offer] = Object.values(item.terms.OnDemand) as any[];
  const [dimension] = Object.values(offer.priceDimensions) as any[];
  return Number(dimension.pricePerUnit.USD);
}
