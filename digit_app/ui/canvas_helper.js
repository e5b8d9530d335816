// The Draw page's canvas, made to behave in the hand. Runs in the page (st.html with JavaScript);
// the canvas component lives in an open shadow root, which page CSS cannot reach, so this script
// puts its rules inside. It:
// - hides the toolbar's Edit toggle (it turns drawing into select-and-move, a trap on a touch
//   screen), its "Update the app" button (the app updates after every stroke anyway) and its Reset
//   (the page's Clear does the same), and keeps Undo and Redo visible without hovering (phones
//   cannot hover), each a 44x44 px target, also on a canvas scaled down to fit a phone;
// - gives the drawing surface a role and a label, and the answer a polite live region;
// - names the brush slider once: Streamlit labels its input by itself and by its group, both
//   "Brush width", which a screen reader reads twice;
// - scales a canvas wider than its column (the whole-number canvas on a phone) to fit the column;
// - makes the page's Clear button empty the canvas at once, in the browser, through the canvas' own
//   reset (which then tells the app): a stroke started right after Clear is never wiped by an
//   emptying that arrives from the server later. Without this script, Clear still works the
//   server's way (a new initial drawing), and so does the first Clear after switching "Whole number"
//   (the canvas then starts with the drawing carried over, which its reset would bring back);
// - lets Undo take back strokes carried over from the other mode's canvas, and Redo put them back (the
//   canvas' own history starts at its initial drawing, where they are): the toolbar's Undo (Redo) stays
//   enabled while the page offers its hidden "Undo a carried stroke" ("Redo ..."), and presses that when
//   the canvas has nothing to undo (redo);
// - sends the drawing the moment the pen lifts: the canvas would wait 200 ms after the last change,
//   so when a stroke begun on its drawing surface ends, this presses the canvas' own "send now" (the
//   hidden Update button), which cancels that wait. It presses it in the same event as the canvas
//   adds the stroke (mouseup or touchend, heard on the window after the canvas' own listeners), not
//   in a later task: a timer waited behind the page's next frame, ~10 ms; and Streamlit's own zero-delay
//   timer that sends the value runs at the end of that event, not after the frame. Without this script,
//   the answer comes 200 ms later;
// - shows the answer as still being written while the pen is down and for PAUSE_MS after it lifts:
//   the digit greyed, its confidence hidden. A 4, a 5 or an 8 drawn in two strokes reads as
//   something else after the first, and people pause less than that between the strokes of one
//   digit; a one-stroke digit's answer still shows at pen-up, its confidence a moment later. An
//   answer the server marks data-going-on (its strokes look like the beginning of a digit of more
//   strokes that reads otherwise: digit_app/unfinished.py) stays so for HOLD_MS instead.
// Its own upkeep (styles, labels, the canvas' fit) runs at most once a frame, in the frame's own
// callback: run at every change of the page, it forced layouts while Streamlit drew an answer. Only
// the answer's "writing" look follows every change at once.
(() => {
  const config = window.__digitAppCanvas = window.__digitAppCanvas || {};
  config.label = "__LABEL__";
  config.carried = __CARRIED__;  // the canvas starts with a drawing carried from the other mode
  if (config.installed) { config.scan && config.scan(); return; }
  config.installed = true;
  const STYLE = `
    .dc-toolbar { opacity: 1 !important; top: -4.1rem !important; }
    button[aria-label="Edit"], button[aria-label="Update the app with this drawing"],
    button[aria-label="Reset canvas & history"], .dc-toolbar-separator { display: none !important; }
    .dc-toolbar .dc-icon-button { width: 44px !important; height: 44px !important; }
    .dc-toolbar .dc-icon-button svg { width: 24px !important; height: 24px !important; }
  `;
  const PAUSE_MS = 600;
  const HOLD_MS = 1500;  // after the pen lifts, for an answer the server marks data-going-on (digit_app/unfinished.py)
  const writing = { until: 0, held: 0 };
  const markAnswer = () => {
    const now = performance.now();
    document.querySelectorAll(".st-key-answer").forEach((answer) => {
      const on = now < writing.until || (now < writing.held && !!answer.querySelector("[data-going-on]"));
      if (answer.classList.contains("dc-writing") !== on) answer.classList.toggle("dc-writing", on);
      answer.setAttribute("aria-busy", on ? "true" : "false");
    });
  };
  const onSurface = (event) => {
    const path = event.composedPath ? event.composedPath() : [];
    return path.find((node) => node.classList && node.classList.contains("upper-canvas"));
  };
  // The canvas' Undo and Redo stop at its initial drawing: strokes carried over from the other mode's canvas are
  // in it. While the page offers its hidden "Undo a carried stroke" ("Redo a carried stroke"), the toolbar's Undo
  // (Redo) stays enabled and, when the canvas itself has nothing to undo (redo), presses that instead: the server
  // takes the last carried stroke back (puts it back) and the canvas redraws in place. The canvas says whether it
  // can undo or redo by setting its button's `disabled`.
  const BUTTON_DISABLED = Object.getOwnPropertyDescriptor(HTMLButtonElement.prototype, "disabled");
  const STAND_INS = { Undo: ".st-key-undo-carried button", Redo: ".st-key-redo-carried button" };
  const standIn = (button) => document.querySelector(STAND_INS[button.__digitAppStandIn]);
  const keepEnabled = (button, name) => {
    if (!button.__digitAppStandIn) {
      button.__digitAppStandIn = name;
      button.__canvasRefuses = BUTTON_DISABLED.get.call(button);
      Object.defineProperty(button, "disabled", {
        configurable: true,
        get() { return BUTTON_DISABLED.get.call(this); },
        set(value) { this.__canvasRefuses = Boolean(value); keepEnabled(this, name); },
      });
    }
    const disabled = button.__canvasRefuses && !standIn(button);
    if (BUTTON_DISABLED.get.call(button) !== disabled) BUTTON_DISABLED.set.call(button, disabled);
  };
  window.addEventListener("click", (event) => {
    const button = event.composedPath().find((node) => node.__digitAppStandIn);
    const stand = button && standIn(button);
    if (!button || !button.__canvasRefuses || !stand) return;
    event.preventDefault();
    event.stopPropagation();
    stand.click();
  }, true);
  const fix = (host) => {
    const root = host.shadowRoot;
    if (!root) return;
    Object.keys(STAND_INS).forEach((name) => {
      const button = root.querySelector(`button[aria-label="${name}"]`);
      if (button) keepEnabled(button, name);
    });
    if (!root.querySelector("style[data-digit-app]")) {
      const style = document.createElement("style");
      style.dataset.digitApp = "1";
      style.textContent = STYLE;
      root.appendChild(style);
      // The canvas inside is drawn later than its host appears: fit it the moment it is there.
      new MutationObserver(soon).observe(root, { childList: true, subtree: true });
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
      const toolbar = root.querySelector(".dc-toolbar");  // its buttons keep their 44 px on a scaled canvas
      const unzoom = zoom ? String(Math.ceil(10000 / zoom) / 10000) : "";  // rounded up: never under 44 px
      if (toolbar && toolbar.style.zoom !== unzoom) toolbar.style.zoom = unzoom;
    }
  };
  const scan = () => {
    markAnswer();
    document.querySelectorAll('[data-testid="stBidiComponentIsolated"]').forEach(fix);
    document.querySelectorAll('.st-key-brush input[type="range"][aria-labelledby]').forEach((input) => {
      input.removeAttribute("aria-labelledby");  // its own aria-label, "Brush width", names it once
    });
    document.querySelectorAll(".st-key-answer").forEach((answer) => {
      if (answer.getAttribute("aria-live") !== "polite") {
        answer.setAttribute("aria-live", "polite");
        answer.setAttribute("aria-atomic", "true");
      }
    });
  };
  let queued = false;
  function soon() {  // one scan in the next frame, however many changes came before it
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => { queued = false; scan(); });
  }
  config.scan = scan;
  document.addEventListener("click", (event) => {
    const clear = event.target.closest && event.target.closest(".st-key-clear button");
    if (!clear) return;
    // The canvas' reset goes back to its initial drawing: with a carried drawing, that is not empty,
    // so this Clear goes the server's way (a new, empty initial drawing); later ones are quick again.
    if (config.carried) { config.carried = false; return; }
    const host = document.querySelector('[data-testid="stBidiComponentIsolated"]');
    const reset = host && host.shadowRoot && host.shadowRoot.querySelector('button[aria-label="Reset canvas & history"]');
    if (!reset) return;  // no canvas here: the app clears it the server's way
    event.preventDefault();
    event.stopPropagation();
    reset.click();
  }, true);
  window.addEventListener("pointerdown", (event) => {
    if (!onSurface(event)) return;
    writing.until = Infinity;
    markAnswer();
  });
  let stroke = null;  // the drawing surface a stroke began on, until the stroke is sent
  // Streamlit sends a changed widget value from a zero-delay timer, and after a pen-up the browser draws the next
  // frame (the finished stroke) before such a timer: ~10 ms. While the canvas' "send now" runs, a zero-delay timer
  // runs instead at the end of this very event (a microtask), so the stroke leaves before that frame is drawn.
  const sendStroke = () => {
    const surface = stroke;
    stroke = null;
    const send = surface && surface.getRootNode().querySelector('button[aria-label="Update the app with this drawing"]');
    if (!send) return;
    const timer = window.setTimeout;
    window.setTimeout = function (callback, delay, ...args) {
      if (delay || typeof callback !== "function") return timer.call(window, callback, delay, ...args);
      queueMicrotask(() => callback(...args));
      return 0;  // nothing to clear: no one clears a zero-delay timer in the same event that set it
    };
    try { send.click(); } finally { window.setTimeout = timer; }
  };
  window.addEventListener("pointerdown", (event) => { stroke = onSurface(event) || null; });
  const penUp = (event) => {
    if (!stroke && writing.until !== Infinity) return;
    writing.until = performance.now() + PAUSE_MS;  // also when the pen lifts off the canvas' edge
    writing.held = writing.until - PAUSE_MS + HOLD_MS;
    markAnswer();
    setTimeout(markAnswer, PAUSE_MS + 20);
    setTimeout(markAnswer, HOLD_MS + 20);
    // The canvas adds the stroke in its own mouseup (touchend) listener, after this pointerup: a cancelled
    // pointer gets no mouseup, so its stroke goes out once the canvas has had its turn.
    if (event.type === "pointercancel") setTimeout(sendStroke, 0);
  };
  window.addEventListener("pointerup", penUp);
  window.addEventListener("pointercancel", penUp);
  // Heard on the window, these come after the canvas' own listeners (and the microtasks they queue) have
  // added the stroke and scheduled its delayed send, which the click cancels.
  window.addEventListener("mouseup", sendStroke);
  window.addEventListener("touchend", sendStroke);
  // The answer's "writing" look at once (no layout is read for it): a confidence arriving while the pen
  // is down is never shown, not even to a screen reader between two frames; the rest waits for the frame.
  new MutationObserver(() => { markAnswer(); soon(); }).observe(document.body, { childList: true, subtree: true });
  window.addEventListener("resize", soon);
  setInterval(scan, 1000);  // changes inside the shadow root are not seen by the observer
  scan();
})();
