// The notes panel: `GET /notes` and `POST /notes` on the app's resolver endpoint. Forge sends
// each call to the remote with a Forge Invocation Token carrying the issue and the user.
import { invokeRemote } from '@forge/bridge';

const list = document.getElementById('notes');
const form = document.getElementById('add');
const text = document.getElementById('text');
const error = document.getElementById('error');

function show(notes) {
  list.replaceChildren(
    ...notes.map((note) => {
      const item = document.createElement('li');
      const meta = document.createElement('div');
      meta.className = 'meta';
      meta.textContent = new Date(note.createdAt).toLocaleString();
      item.append(note.text, meta);
      return item;
    }),
  );
}

async function load() {
  const answer = await invokeRemote({ path: '/notes', method: 'GET' });
  show(answer.body.notes);
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  error.textContent = '';
  const answer = await invokeRemote({ path: '/notes', method: 'POST', body: { text: text.value } });
  if (answer.status === 201) {
    text.value = '';
    await load();
  } else {
    error.textContent = (answer.body && answer.body.message) || 'Could not add the note';
  }
});

load().catch(() => {
  error.textContent = 'Could not load the notes';
});
