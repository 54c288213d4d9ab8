// The dashboard's shell: sign in and out, the hash router, the models list. Every other
// screen is a module loaded when first opened, so the first screen costs few requests.
import { announce, errorBox, field, h, replace, table, when } from './dom.js';
import { gql, session, signIn } from './gql.js';

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const who = document.getElementById('who');
const signOutButton = document.getElementById('signout');

// Each screen: a pattern over the hash and the module that draws it.
const SCREENS = [
  [/^#\/models$/, async () => ({ render: models })],
  [/^#\/models\/([^/]+)$/, () => import('./model.js')],
  [/^#\/models\/([^/]+)\/analytics$/, () => import('./analytics.js')],
  [/^#\/models\/([^/]+)\/compare$/, () => import('./compare.js')],
  [/^#\/models\/([^/]+)\/live$/, () => import('./live.js')],
  [/^#\/jobs$/, () => import('./jobs.js')],
  [/^#\/models\/([^/]+)\/jobs$/, () => import('./jobs.js')],
  [/^#\/keys$/, () => import('./keys.js')],
  [/^#\/webhooks$/, () => import('./webhooks.js')],
  [/^#\/models\/([^/]+)\/webhooks$/, () => import('./webhooks.js')],
];

// A screen returns an optional cleanup (stopping its subscriptions) for when it is left.
let leave = null;

async function route() {
  leave?.();
  leave = null;
  const signedIn = session.get();
  nav.hidden = !signedIn;
  signOutButton.hidden = !signedIn;
  who.textContent = signedIn ? signedIn.user.username : '';
  if (!signedIn) {
    signInScreen();
    return;
  }
  const hash = location.hash || '#/models';
  const found = SCREENS.find(([pattern]) => pattern.test(hash));
  if (!found) {
    location.hash = '#/models';
    return;
  }
  const [pattern, load] = found;
  const [, ...parameters] = hash.match(pattern);
  for (const link of nav.querySelectorAll('a')) {
    if (link.getAttribute('href') === hash) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  replace(main, h('p', {}, 'Loading…'));
  try {
    const screen = await load();
    leave = (await screen.render(main, ...parameters.map(decodeURIComponent))) ?? null;
  } catch (error) {
    replace(main, h('h1', {}, 'Something went wrong'), errorBox(error));
  }
}

function signInScreen() {
  const email = h('input', { type: 'email', name: 'email', autocomplete: 'username', required: true });
  const password = h('input', {
    type: 'password',
    name: 'password',
    autocomplete: 'current-password',
    required: true,
  });
  const problem = h('div', { 'aria-live': 'assertive' });
  const form = h(
    'form',
    {
      class: 'card narrow',
      'aria-labelledby': 'signin-title',
      onsubmit: async (event) => {
        event.preventDefault();
        replace(problem);
        try {
          const { login } = await signIn(email.value, password.value);
          if (login.__typename !== 'AuthPayload') throw new Error(login.message);
          session.set(login);
          announce(`Signed in as ${login.user.username}`);
          if (!location.hash || location.hash === '#/signin') location.hash = '#/models';
          else route();
        } catch (error) {
          replace(problem, errorBox(error));
        }
      },
    },
    h('h1', { id: 'signin-title' }, 'Sign in'),
    field('Email', email),
    field('Password', password),
    problem,
    h('button', { type: 'submit', class: 'primary' }, 'Sign in'),
  );
  replace(main, form);
  email.focus();
}

const MODELS = `query Models($after: String) {
  models(first: 50, after: $after) {
    edges { node {
      id fullName description updatedAt myAccess
      latestVersion { number status }
      aliases { name version { number } }
    } }
    pageInfo { hasNextPage endCursor }
  }
}`;

async function models(root) {
  const { models: page } = await gql(MODELS);
  const rows = page.edges.map(({ node }) => [
    h('a', { href: `#/models/${encodeURIComponent(node.id)}` }, node.fullName),
    node.latestVersion ? `v${node.latestVersion.number} (${node.latestVersion.status})` : '—',
    node.aliases.map((alias) => `${alias.name} → v${alias.version.number}`).join(', ') || '—',
    node.myAccess,
    when(node.updatedAt),
  ]);
  replace(
    root,
    h('h1', {}, 'Models'),
    table(`${page.edges.length} models you can see`, ['Model', 'Latest', 'Aliases', 'Access', 'Updated'], rows),
  );
}

signOutButton.addEventListener('click', async () => {
  await gql('mutation { logout { __typename } }').catch(() => {});
  session.clear();
  announce('Signed out');
  location.hash = '#/signin';
  route();
});
window.addEventListener('modelserve:signedout', () => route());
window.addEventListener('hashchange', () => {
  route();
  main.focus({ preventScroll: true });
});
route();
