// The notes panel: `GET /notes?issueKey=K` and `POST /notes?issueKey=K` on the app's resolver
// endpoint. As a Forge Remote, Forge sends each call with a Forge Invocation Token carrying the
// issue and the user (the token's issue wins over the query). As a Forge Container service,
// the invocation context carries no issue: the query names it, and the app checks, as the
// user, that the user can see it.
//
// Which bridge call is used is fixed when the panel is built (`NOTES_BACKEND=service npm run
// build` for the container; `invokeRemote` otherwise): the browser cannot tell them apart.
import { invokeRemote, invokeService, view } from '@forge/bridge';

const invoke = __NOTES_BACKEND__ === 'service' ? invokeService : invokeRemote;

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

let notesPath;

async function path() {
  if (!notesPath) {
    const context = await view.getContext();
    notesPath = `/notes?issueKey=${encodeURIComponent(context.extension.issue.key)}`;
  }
  return notesPath;
}

async function load() {
  const answer = await invoke({ path: await path(), method: 'GET' });
  show(answer.body.notes);
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  error.textContent = '';
  const answer = await invoke({ path: await path(), method: 'POST', body: { text: text.value } });
  if (answer.status === 201) {
    text.value = '';
    await load();
  } else {
    // invokeRemote answers an error with its JSON body; invokeService with the body as text
    // in `error`.
    let message = answer.body && answer.body.message;
    if (!message && typeof answer.error === 'string') {
      try {
        message = JSON.parse(answer.error).message;
      } catch {
        message = undefined;
      }
    }
    error.textContent = message || 'Could not add the note';
  }
});

load().catch(() => {
  error.textContent = 'Could not load the notes';
});
