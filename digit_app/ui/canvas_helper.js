// The Draw page's canvas, made to behave in the hand. Runs in the page (st.html with JavaScript);
// the canvas component lives in an open shadow root, which page CSS cannot reach, so this script
// puts its rules inside. It:
// - hides the toolbar's Edit toggle (it turns drawing into select-and-move, a trap on a touch
//   screen) and its "Update the app" button (the app updates after every stroke anyway), and keeps
//   Undo, Redo and Reset visible without hovering (phones cannot hover);
// - gives the drawing surface a role and a label, and the answer a polite live region;
// - scales a canvas wider than its column (the whole-number canvas on a phone) to fit the column;
// - draws a visible edge around the canvas, also on a dark page;
// - makes the page's Clear button empty the canvas at once, in the browser, through the canvas' own
//   reset (which then tells the app): a stroke started right after Clear is never wiped by an
//   emptying that arrives from the server later. Without this script, Clear still works the
//   server's way (a new initial drawing);
// - sends the drawing the moment the pen lifts: the canvas would wait 200 ms after the last change,
//   so at pointerup on its drawing surface this presses the canvas' own "send now" (the hidden
//   Update button), which cancels that wait. Without this script, the answer comes 200 ms later.
(() => {
  const config = window.__digitAppCanvas = window.__digitAppCanvas || {};
  config.label = "__LABEL__";
  if (config.installed) { config.scan && config.scan(); return; }
  config.installed = true;
  const STYLE = `
    .dc-toolbar { opacity: 1 !important; top: -2.65rem !important; }
    button[aria-label="Edit"], button[aria-label="Update the app with this drawing"],
    .dc-toolbar-separator { display: none !important; }
    .dc-canvas { outline: 2px solid rgba(128, 128, 128, 0.55) !important; outline-offset: 0 !important; }
  `;
  const fix = (host) => {
    const root = host.shadowRoot;
    if (!root) return;
    if (!root.querySelector("style[data-digit-app]")) {
      const style = document.createElement("style");
      style.dataset.digitApp = "1";
      style.textContent = STYLE;
      root.appendChild(style);
      // The canvas inside is drawn later than its host appears: fit it the moment it is there.
      new MutationObserver(() => fix(host)).observe(root, { childList: true, subtree: true });
    }
    const surface = root.querySelector("canvas.upper-canvas");
    if (surface && surface.getAttribute("aria-label") !== config.label) {
      surface.setAttribute("role", "img");
      surface.setAttribute("aria-label", config.label);
    }
    const frame = root.querySelector(".dc-root");
    const lower = root.querySelector("canvas.lower-canvas");
    if (frame && lower) {
      const natural = parseFloat(lower.style.width) || lower.width;
      const column = host.closest('[data-testid="stVerticalBlock"]');
      const room = column ? column.clientWidth : natural;
      const zoom = room > 0 && room < natural ? (room / natural).toFixed(4) : "";
      if (frame.style.zoom !== zoom) frame.style.zoom = zoom;
    }
  };
  const scan = () => {
    document.querySelectorAll('[data-testid="stBidiComponentIsolated"]').forEach(fix);
    document.querySelectorAll(".st-key-answer").forEach((answer) => {
      if (answer.getAttribute("aria-live") !== "polite") {
        answer.setAttribute("aria-live", "polite");
        answer.setAttribute("aria-atomic", "true");
      }
    });
  };
  config.scan = scan;
  document.addEventListener("click", (event) => {
    const clear = event.target.closest && event.target.closest(".st-key-clear button");
    if (!clear) return;
    const host = document.querySelector('[data-testid="stBidiComponentIsolated"]');
    const reset = host && host.shadowRoot && host.shadowRoot.querySelector('button[aria-label="Reset canvas & history"]');
    if (!reset) return;  // no canvas here: the app clears it the server's way
    event.preventDefault();
    event.stopPropagation();
    reset.click();
  }, true);
  window.addEventListener("pointerup", (event) => {
    const path = event.composedPath ? event.composedPath() : [];
    const surface = path.find((node) => node.classList && node.classList.contains("upper-canvas"));
    const root = surface && surface.getRootNode();
    const send = root && root.querySelector && root.querySelector('button[aria-label="Update the app with this drawing"]');
    if (send) setTimeout(() => send.click(), 0);  // after the canvas has added the stroke it just drew
  });
  new MutationObserver(scan).observe(document.body, { childList: true, subtree: true });
  window.addEventListener("resize", scan);
  setInterval(scan, 1000);  // changes inside the shadow root are not seen by the observer
  scan();
})();
