// Click a column heading to sort the league table by it; click again to reverse.
document.querySelectorAll("table.league th").forEach(function (th, column) {
  th.addEventListener("click", function () {
    var body = th.closest("table").tBodies[0];
    var down = th.getAttribute("aria-sort") !== "descending";
    th.closest("tr").querySelectorAll("th").forEach(function (h) { h.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", down ? "descending" : "ascending");
    var key = function (row) {
      var cell = row.cells[column];
      var v = cell.getAttribute("data-v");
      return v === null ? cell.textContent.trim().toLowerCase() : (v === "" ? -Infinity : parseFloat(v));
    };
    Array.prototype.slice.call(body.rows)
      .sort(function (a, b) { var x = key(a), y = key(b); return (x < y ? -1 : x > y ? 1 : 0) * (down ? -1 : 1); })
      .forEach(function (row) { body.appendChild(row); });
  });
});
