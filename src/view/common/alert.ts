// The one alert line every page has (role="alert"): every failure lands there in words, and
// what stays true all along (no WebGPU, a lost device) comes back whenever it is cleared.
export function pageAlert(
  box: HTMLElement,
  standing: () => string | undefined,
): { show(message: string): void; clear(): void } {
  const show = (message: string) => {
    box.textContent = message;
    box.hidden = false;
  };
  return {
    show,
    clear: () => {
      const always = standing();
      if (always) {
        show(always);
        return;
      }
      box.hidden = true;
      box.textContent = '';
    },
  };
}
