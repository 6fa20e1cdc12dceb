// Keyboard shortcuts for the screening page: i include, x exclude, m maybe, u undo. The buttons they press
// work without this script; keys typed into the reason list or the note are left alone.
document.addEventListener("keydown", (event) => {
  const reason = document.getElementById("id_reason");
  if (event.key === "Enter" && event.target === reason && reason.value) {
    event.preventDefault(); // a reason chosen after pressing x: Enter excludes
    document.getElementById("decide-exclude").click();
    return;
  }
  const typing = event.target.closest("input, select, textarea");
  if (typing || event.altKey || event.ctrlKey || event.metaKey) return;
  const buttons = { i: "decide-include", x: "decide-exclude", m: "decide-maybe", u: "undo-button" };
  const button = document.getElementById(buttons[event.key]);
  if (!button) return;
  event.preventDefault();
  if (event.key === "x" && reason && !reason.value) {
    reason.focus(); // an exclusion needs a reason: choose it, then press Enter
    return;
  }
  button.click();
});
// Lets a test (or anything else) know that the keys now work.
document.documentElement.dataset.screeningKeys = "ready";
