/** One product of the demo shop. `price` is in cents. */
export interface Product {
  sku: string;
  name: string;
  price: number;
  description: string;
}

/** The shop's fixed catalog: the seeds' online shop needs a few things to put in a cart. */
export const CATALOG: readonly Product[] = [
  { sku: 'tea', name: 'Green tea', price: 450, description: 'Loose leaf, 100 g' },
  { sku: 'mug', name: 'Stoneware mug', price: 1200, description: 'Holds 350 ml' },
  { sku: 'kettle', name: 'Kettle', price: 3900, description: 'Gooseneck, 1 l' },
  { sku: 'cookies', name: 'Butter cookies', price: 300, description: 'A tin of 12' },
  { sku: 'notebook', name: 'Notebook', price: 800, description: 'A5, dotted' },
  { sku: 'pen', name: 'Fountain pen', price: 2500, description: 'Fine nib' },
];

const BY_SKU = new Map(CATALOG.map((product) => [product.sku, product]));

export function findProduct(sku: string): Product | undefined {
  return BY_SKU.get(sku);
}

/** Largest quantity of one item a cart holds. */
export const MAX_QTY = 99;
