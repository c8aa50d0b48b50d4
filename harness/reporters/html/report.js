// Filters the case list by verdict, kernel and text. Only toggles `hidden`: it never writes
// markup, so nothing from the report's data can turn into code.
(function () {
  'use strict';
  var cases = Array.prototype.slice.call(document.querySelectorAll('details.case'));
  var verdictBoxes = Array.prototype.slice.call(document.querySelectorAll('input[data-filter-verdict]'));
  var kernelSelect = document.getElementById('filter-kernel');
  var search = document.getElementById('filter-text');
  var shown = document.getElementById('shown-count');

  function apply() {
    var verdicts = {};
    verdictBoxes.forEach(function (box) { verdicts[box.getAttribute('data-filter-verdict')] = box.checked; });
    var kernel = kernelSelect.value;
    var text = search.value.trim().toLowerCase();
    var count = 0;
    cases.forEach(function (element) {
      var visible = verdicts[element.getAttribute('data-verdict')] !== false &&
        (kernel === '' || element.getAttribute('data-kernel') === kernel) &&
        (text === '' || element.getAttribute('data-search').indexOf(text) !== -1);
      element.hidden = !visible;
      if (visible) count++;
    });
    shown.textContent = String(count);
  }

  verdictBoxes.forEach(function (box) { box.addEventListener('change', apply); });
  kernelSelect.addEventListener('change', apply);
  search.addEventListener('input', apply);
  document.getElementById('only-problems').addEventListener('click', function () {
    verdictBoxes.forEach(function (box) {
      var verdict = box.getAttribute('data-filter-verdict');
      box.checked = verdict !== 'passed' && verdict !== 'xfail' && verdict !== 'skipped';
    });
    apply();
  });
  document.getElementById('show-all').addEventListener('click', function () {
    verdictBoxes.forEach(function (box) { box.checked = true; });
    kernelSelect.value = '';
    search.value = '';
    apply();
  });
  apply();
})();
