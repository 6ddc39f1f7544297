/** Copies text after a click; never called without one. */
export async function copyText(text: string): Promise<void> {
  await navigator.clipboard.writeText(text);
}
