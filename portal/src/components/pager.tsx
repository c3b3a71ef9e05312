// Newer / older buttons for a cursor-paged, newest-first list (the page keeps the cursors it came
// through: "Older" pushes next_cursor, "Newer" pops).
export function Pager({ newer, older }: { newer?: () => void; older?: () => void }) {
  if (!newer && !older) return null;
  return (
    <nav aria-label="Pages" className="actions">
      {newer ? (
        <button type="button" className="secondary" onClick={newer}>
          Newer
        </button>
      ) : null}
      {older ? (
        <button type="button" className="secondary" onClick={older}>
          Older
        </button>
      ) : null}
    </nav>
  );
}
