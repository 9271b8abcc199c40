// Charts draw in CSS pixels: the SVG's width follows its box, so labels stay legible from a
// phone to a wide screen instead of scaling with the picture.
import { onMounted, onUnmounted, ref } from 'vue';

export function useChartWidth(initial = 640) {
  const figure = ref<HTMLElement | null>(null);
  const W = ref(initial);
  let observer: ResizeObserver | undefined;
  onMounted(() => {
    if (!figure.value) return;
    W.value = Math.max(280, Math.round(figure.value.clientWidth)) || initial;
    observer = new ResizeObserver(([entry]) => {
      if (entry) W.value = Math.max(280, Math.round(entry.contentRect.width));
    });
    observer.observe(figure.value);
  });
  onUnmounted(() => observer?.disconnect());
  return { figure, W };
}
