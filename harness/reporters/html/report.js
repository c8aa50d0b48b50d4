// The report's views and filters. It only toggles `hidden`, `open` and classes and sets
// text: it never writes markup, so nothing from the report's data can turn into code.
// Views follow the address: #matrix (the case x kernel matrix), #cases (every result),
// #case-N (one result alone, opened). Without the script everything is shown at once.
(function () {
  'use strict';
  function all(selector, root) { return Array.prototype.slice.call((root || document).querySelectorAll(selector)); }
  function byId(id) { return document.getElementById(id); }

  var body = document.body;
  var cases = all('details.case');
  var rows = all('tr.mrow');
  var groups = all('tbody.mgroup');
  var kernelColumns = all('th.kcol');
  var verdictBoxes = all('input[data-filter-verdict]');
  var suiteSelect = byId('filter-suite');
  var kernelSelect = byId('filter-kernel');
  var categorySelect = byId('filter-category');
  var differsBox = byId('filter-differs');
  var search = byId('filter-text');
  var shown = byId('shown-count');
  var total = byId('shown-total');
  var filters = byId('filters');
  var detailNav = byId('detail-nav');
  var backLink = byId('back-link');
  var summaryTable = document.querySelector('#view-cases table.summary');
  var overview = all('.overview, .compare');
  var views = { matrix: byId('view-matrix'), cases: byId('view-cases') };
  var tabs = all('[data-tab]');
  var defaultView = body.getAttribute('data-default-view') === 'matrix' && views.matrix ? 'matrix' : 'cases';
  var view = defaultView;
  var lastList = defaultView;
  var REGRESSION = { 'new-failure': true, 'new-crash': true };

  body.classList.add('js');

  function criteria() {
    var verdicts = {};
    verdictBoxes.forEach(function (box) { verdicts[box.getAttribute('data-filter-verdict')] = box.checked; });
    return {
      verdicts: verdicts,
      suite: suiteSelect.value,
      kernel: kernelSelect.value,
      category: categorySelect ? categorySelect.value : '',
      differs: differsBox ? differsBox.checked : false,
      text: search.value.trim().toLowerCase()
    };
  }

  function categoryMatches(category, wanted) {
    if (wanted === '') return true;
    if (wanted === 'regression') return REGRESSION[category] === true;
    return category === wanted;
  }

  function verdictMatches(verdict, c) {
    return verdict !== '' && c.verdicts[verdict] !== false;
  }

  function filterCases(c) {
    var count = 0;
    cases.forEach(function (element) {
      var visible = verdictMatches(element.getAttribute('data-verdict'), c) &&
        (c.suite === '' || element.getAttribute('data-suite') === c.suite) &&
        (c.kernel === '' || element.getAttribute('data-kernel') === c.kernel) &&
        categoryMatches(element.getAttribute('data-category'), c.category) &&
        (c.text === '' || element.getAttribute('data-search').indexOf(c.text) !== -1);
      element.hidden = !visible;
      if (visible) count++;
    });
    return count;
  }

  // A row stays when one of its shown cells has a chosen verdict (and category): "failed"
  // alone keeps the cases that fail on some kernel, with all their kernels in view.
  function filterMatrix(c) {
    kernelColumns.forEach(function (th) { th.hidden = c.kernel !== '' && th.getAttribute('data-kernel') !== c.kernel; });
    var count = 0;
    rows.forEach(function (row) {
      var cells = all('td.cell', row);
      var hit = false;
      cells.forEach(function (cell) {
        var inColumn = c.kernel === '' || cell.getAttribute('data-kernel') === c.kernel;
        cell.hidden = !inColumn;
        if (inColumn && !hit) {
          var category = cell.getAttribute('data-category');
          var verdict = cell.getAttribute('data-verdict');
          var verdictOk = verdict === '' ? c.category !== '' && category !== '' : verdictMatches(verdict, c);
          hit = verdictOk && categoryMatches(category, c.category);
        }
      });
      var visible = hit &&
        (c.suite === '' || row.getAttribute('data-suite') === c.suite) &&
        (!c.differs || row.getAttribute('data-differs') === '1') &&
        (c.text === '' || row.getAttribute('data-search').indexOf(c.text) !== -1);
      row.hidden = !visible;
      if (visible) count++;
    });
    groups.forEach(function (group) {
      group.hidden = all('tr.mrow', group).every(function (row) { return row.hidden; });
    });
    return count;
  }

  function apply() {
    var c = criteria();
    var caseCount = filterCases(c);
    var rowCount = views.matrix ? filterMatrix(c) : 0;
    var inMatrix = view === 'matrix';
    shown.textContent = String(inMatrix ? rowCount : caseCount);
    total.textContent = (inMatrix ? views.matrix : views.cases).getAttribute('data-total');
    all('.empty').forEach(function (element) {
      element.hidden = (element.closest('.view') === views.matrix ? rowCount : caseCount) !== 0;
    });
  }

  function show(name, target) {
    view = name;
    Object.keys(views).forEach(function (key) {
      if (views[key]) views[key].hidden = key !== (name === 'detail' ? 'cases' : name);
    });
    tabs.forEach(function (tab) { tab.classList.toggle('active', tab.getAttribute('data-tab') === (name === 'detail' ? '' : name)); });
    filters.hidden = name === 'detail';
    detailNav.hidden = name !== 'detail';
    if (summaryTable) summaryTable.hidden = name === 'detail';
    overview.forEach(function (element) { element.hidden = name === 'detail'; });
    body.classList.toggle('detail', name === 'detail');
    body.classList.toggle('view-matrix', name === 'matrix');
    if (name === 'detail') {
      cases.forEach(function (element) { element.hidden = element !== target; });
      target.open = true;
      backLink.setAttribute('href', '#' + lastList);
      backLink.textContent = lastList === 'matrix' ? '← back to the matrix' : '← back to all results';
      // After the browser's own jump to the anchor: the back link and the case's head in view.
      window.setTimeout(function () { window.scrollTo(0, 0); }, 0);
    } else {
      lastList = name;
      apply();
    }
  }

  function route() {
    var id = decodeURIComponent(window.location.hash.slice(1));
    var target = id === '' ? null : byId(id);
    if (target && target.matches('details.case')) show('detail', target);
    else if (id === 'matrix' && views.matrix) show('matrix');
    else if (id === 'cases') show('cases');
    else show(defaultView);
  }

  verdictBoxes.forEach(function (box) { box.addEventListener('change', apply); });
  [suiteSelect, kernelSelect, categorySelect, differsBox].forEach(function (control) {
    if (control) control.addEventListener('change', apply);
  });
  search.addEventListener('input', apply);
  byId('only-problems').addEventListener('click', function () {
    verdictBoxes.forEach(function (box) {
      var verdict = box.getAttribute('data-filter-verdict');
      box.checked = verdict !== 'passed' && verdict !== 'xfail' && verdict !== 'skipped';
    });
    apply();
  });
  byId('show-all').addEventListener('click', function () {
    verdictBoxes.forEach(function (box) { box.checked = true; });
    suiteSelect.value = '';
    kernelSelect.value = '';
    if (categorySelect) categorySelect.value = '';
    if (differsBox) differsBox.checked = false;
    search.value = '';
    apply();
  });
  window.addEventListener('hashchange', route);
  // Opened on #case-N, the browser jumps to the anchor once loaded: show the top instead.
  window.addEventListener('load', function () { if (view === 'detail') window.scrollTo(0, 0); });
  route();
})();
