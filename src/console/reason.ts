// One reason prompt for the whole console: every download and playback awaits askReason(), and
// nothing is fetched unless it resolves to a non-empty reason. Cancel (or Esc) resolves null.
import { reactive } from 'vue';

export const reasonPrompt = reactive<{ open: boolean; subject: string; resolve: ((r: string | null) => void) | null }>({
  open: false,
  subject: '',
  resolve: null,
});

export function askReason(subject: string): Promise<string | null> {
  reasonPrompt.resolve?.(null);
  return new Promise((resolve) => {
    reasonPrompt.subject = subject;
    reasonPrompt.resolve = resolve;
    reasonPrompt.open = true;
  });
}

export function answerReason(reason: string | null): void {
  const resolve = reasonPrompt.resolve;
  reasonPrompt.open = false;
  reasonPrompt.resolve = null;
  resolve?.(reason === null ? null : reason.trim() || null);
}
