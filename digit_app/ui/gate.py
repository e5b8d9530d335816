"""The operator gate on the pages: a sidebar panel to unlock it, and one question the pages ask.

Password guesses go through the server process's one throttle (`access.GUESSES`), not a pause
per session: a guess waits in the script thread for its turn, at most a second, and one refused
(too many tries, from anywhere or from this address) is answered with the wait, never compared.
"""

from __future__ import annotations

import streamlit as st

from digit_app.access import guesses as access
from digit_app.access.guesses import try_password
from digit_app.access.operators import OperatorGate, SecretsFile


def operator_gate() -> OperatorGate:
    """The gate `.streamlit/secrets.toml` and the environment describe; a broken setting shuts it, never opens it."""
    return OperatorGate.from_secrets(_secrets_file())


def _secrets_file() -> SecretsFile:
    """Streamlit's secrets as the gate needs them: no file, a file that cannot be read, or its settings."""
    try:
        return SecretsFile.read(st.secrets.to_dict())
    except FileNotFoundError:  # Streamlit raises this both for no file and for one it cannot parse: look
        return SecretsFile.after_error(st.get_option("secrets.files"))
    except Exception:  # not UTF-8, no permission, a bad secrets folder: read as broken, so the gate shuts
        return SecretsFile(exists=True)


def is_operator() -> bool:
    """Whether this session may train, switch or delete models, and export, import or delete corrections."""
    gate = operator_gate()
    if gate.problem:
        return False  # a broken setting locks, never opens
    if not gate.locked:
        return True
    return bool(st.session_state.get("operator")) or gate.admits(st.user.get("email") if _logged_in() else None)


def operator_panel() -> None:
    """The sidebar's "Operator" panel: what is locked, and the way to unlock it (or lock it again)."""
    gate = operator_gate()
    with st.sidebar:
        if gate.problem:
            st.error(gate.problem)
            return
        if not gate.locked:
            st.caption("Unlocked: anyone who opens this app may train and change models. "
                       "The README says how to lock it with an operator password.")
            return
        if is_operator():
            st.caption("Operator: unlocked in this session.")
            if st.session_state.get("operator") and st.button("Lock again"):
                st.session_state.pop("operator")
                st.rerun()
            return
        with st.form("operator-form", border=False):
            password = st.text_input("Operator password", type="password",
                                     help="Training, switching and deleting models, and exporting, importing "
                                          "or deleting corrections need it.")
            if st.form_submit_button("Unlock") and password:
                guess = try_password(gate, password, _client_address(), access.GUESSES)
                if guess.opened:
                    st.session_state["operator"] = True
                    st.rerun()
                st.error(guess.message)
        if gate.emails:
            st.button("Log in as an operator", on_click=st.login)


def locked_note(what: str) -> None:
    """Say, where an action would be, that it needs the operator, and where to look."""
    where = "the sidebar says why it is locked" if operator_gate().problem else "unlock in the sidebar"
    st.caption(f"🔒 {what} needs the operator: {where}.")


def _client_address() -> str | None:
    """The visitor's IP address as Streamlit gives it; None on localhost, or where it gives none."""
    address = st.context.ip_address
    return address if isinstance(address, str) else None  # AppTest's stand-in runtime gives a mock


def _logged_in() -> bool:
    return bool(st.user.get("is_logged_in", False))
