// A source's author rows in the admin: drag a row by its handle, or press its "move up" / "move down"
// buttons (keyboard: Tab to them, Enter or Space), and the rows are numbered 1, 2, 3 … in their new
// order. Without this script the position numbers are simply edited by hand.
document.addEventListener("DOMContentLoaded", () => {
  const group = document.getElementById("authorships-group");
  if (!group) return;
  const body = group.querySelector("tbody");
  const status = document.createElement("p");
  status.className = "help";
  status.setAttribute("role", "status");
  group.querySelector("fieldset, .tabular").append(status);
  let dragged = null;

  const rows = () => [...body.querySelectorAll("tr.form-row:not(.empty-form)")];
  const field = (row, name) => row.querySelector(`[name$="-${name}"]`);
  const listed = (row) => field(row, "author")?.value && !field(row, "DELETE")?.checked;

  function renumber(moved) {
    let position = 0;
    for (const row of rows()) {
      if (listed(row)) field(row, "position").value = ++position;
    }
    if (moved && listed(moved)) status.textContent = `Author moved to position ${field(moved, "position").value}.`;
  }

  function move(row, step) {
    const others = rows();
    const target = others[others.indexOf(row) + step];
    if (!target) return;
    target[step < 0 ? "before" : "after"](row);
    renumber(row);
  }

  function button(label, text, onClick) {
    const element = document.createElement("button");
    element.type = "button";
    element.className = "author-order__button";
    element.setAttribute("aria-label", label);
    element.textContent = text;
    element.addEventListener("click", onClick);
    return element;
  }

  function addControls(row) {
    const cell = row.querySelector("td.field-position");
    if (!cell || cell.querySelector(".author-order")) return;
    const controls = document.createElement("span");
    controls.className = "author-order";
    // The mouse's way; the buttons are the keyboard's (so the handle itself is not announced).
    const handle = document.createElement("span");
    handle.className = "author-order__handle";
    handle.title = "Drag to reorder this author";
    handle.setAttribute("aria-hidden", "true");
    handle.textContent = "⠿";
    handle.style.cursor = "grab";
    handle.style.touchAction = "none"; // a finger drags the row instead of scrolling the page
    const up = button("Move this author up", "↑", () => { move(row, -1); up.focus(); });
    const down = button("Move this author down", "↓", () => { move(row, 1); down.focus(); });
    controls.append(handle, up, down);
    cell.append(controls);
    // Pointer events rather than HTML drag and drop: one code path for mouse, pen and touch.
    handle.addEventListener("pointerdown", (event) => {
      event.preventDefault();
      dragged = row;
    });
  }

  // On the document, not the handle: the row (and the handle with it) moves under the pointer.
  document.addEventListener("pointermove", (event) => {
    if (!dragged) return;
    const under = document.elementFromPoint(event.clientX, event.clientY);
    const target = under?.closest("tr.form-row:not(.empty-form)");
    if (!target || target === dragged || !body.contains(target)) return;
    const box = target.getBoundingClientRect();
    target[event.clientY > box.top + box.height / 2 ? "after" : "before"](dragged);
  });
  document.addEventListener("pointerup", () => {
    if (!dragged) return;
    renumber(dragged);
    dragged = null;
  });

  document.addEventListener("formset:added", (event) => {
    if (event.detail?.formsetName === "authorships") addControls(event.target);
  });
  rows().forEach(addControls);
  // Lets a test (or anything else) know that the controls are there.
  group.dataset.authorOrder = "ready";
});
