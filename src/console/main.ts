import { createApp } from 'vue';
import App from './App.vue';
import { timezone } from './format';
import './style.css';

// The time zone dates are shown in; public, so the sign-in page has it too.
fetch('/api/v1/console-config', { cache: 'no-store' })
  .then((r) => (r.ok ? (r.json() as Promise<{ timezone?: string }>) : null))
  .then((c) => {
    if (c?.timezone) timezone.value = c.timezone;
  })
  .catch(() => undefined);

createApp(App).mount('#app');
