"""The report page's style sheet and its few lines of script (sortable columns, the column toggle, zoom on click).

Inline, so the page stays one file that opens without a network; the script only reorders, shows and hides what
the page already holds.
"""

#: Laid out for a laptop screen (1400 px wide): the mammogram at least 800 px tall on the left, the probability,
#: key facts and colour legend in a column beside it; wide tables scroll inside their own box.
STYLE = """
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:16px 20px;color:#222;line-height:1.35}
h1{font-size:22px;margin:0 0 2px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ddd}
.sub{margin:0 0 12px;color:#555;font-size:13px}
.top{display:grid;grid-template-columns:auto minmax(340px,1fr);gap:24px;align-items:start}
.overview{margin:0;width:min-content}
.overview img{display:block;height:860px;width:auto;max-width:min(900px,calc(100vw - 420px));
object-fit:contain;object-position:left top;border:1px solid #ccc;cursor:zoom-in;background:#000}
.overview figcaption{font-size:12px;color:#555}
.side{min-width:0}.side section{margin-bottom:16px}
.warn{background:#fff4e0;border-left:4px solid #e08a00;padding:8px 12px;margin:0 0 10px;font-size:14px}
.warn.strong{font-size:16px;font-weight:600;border-left-color:#c04000;background:#ffe8d6}
.prob-line{font-size:15px}.prob{font-size:34px;font-weight:600}.prob.secondary{font-size:18px;color:#666}
.bar{position:relative;height:12px;background:#e6e6e6;border-radius:6px;margin:6px 0;max-width:360px}
.bar span{position:absolute;left:0;top:0;bottom:0;background:#c04060;border-radius:6px}
.bar.secondary span{background:#999}.note{font-size:12px;color:#555}
.facts{border-collapse:collapse;font-size:14px}.facts td{border:none;padding:2px 12px 2px 0;text-align:left;
vertical-align:top}
.legend{list-style:none;padding:0;margin:0;font-size:13px}.legend li{margin:3px 0}
.swatch{display:inline-block;width:14px;height:14px;border:2px solid;margin-right:8px;vertical-align:-2px}
.crops{display:flex;flex-wrap:wrap;gap:16px}.crops figure{margin:0;width:min-content}
.crops img{display:block;max-width:none;image-rendering:pixelated}
.crops figcaption{font-size:12px}
.table-wrap{max-width:100%;overflow-x:auto}
table.data{border-collapse:collapse;font-size:12px}table.data td,table.data th{border:1px solid #ddd;
padding:3px 6px;text-align:right;white-space:nowrap}table.data th{background:#f4f4f4;cursor:pointer;
position:sticky;top:0}table.data td.text,table.data th.text{text-align:left;white-space:normal}
table.data td.word,table.data th.word{text-align:left}
table.data th[aria-sort=ascending]::after{content:" ▲"}table.data th[aria-sort=descending]::after{content:" ▼"}
table.compact .extra{display:none}.toggle{font-size:13px;margin:0 0 6px}
#zoom{display:none;position:fixed;inset:0;background:rgba(0,0,0,.92);overflow:auto;cursor:zoom-out;z-index:9}
#zoom.open{display:block}#zoom img{display:block;margin:0 auto;max-width:none;image-rendering:pixelated}
footer{margin-top:24px;font-size:12px;color:#555}
"""

#: Sort a table by a clicked header (numbers by value, text alphabetically; a second click reverses), toggle a
#: table's extra columns, and open the full-size picture at its own size (one image pixel per screen pixel, never
#: stretched) scrolled to the clicked place.
SCRIPT = """
function sortBy(th){var table=th.closest('table'),body=table.tBodies[0],col=th.cellIndex;
var asc=th.getAttribute('aria-sort')!=='ascending';
table.querySelectorAll('th').forEach(function(h){h.removeAttribute('aria-sort')});
th.setAttribute('aria-sort',asc?'ascending':'descending');
var rows=Array.prototype.slice.call(body.rows);rows.sort(function(a,b){
var x=a.cells[col].dataset.v,y=b.cells[col].dataset.v,nx=parseFloat(x),ny=parseFloat(y),r;
if(x===''&&y!=='')return 1;if(y===''&&x!=='')return -1;
r=(!isNaN(nx)&&!isNaN(ny))?nx-ny:String(x).localeCompare(String(y));return asc?r:-r});
rows.forEach(function(r){body.appendChild(r)})}
function toggleColumns(box,id){document.getElementById(id).classList.toggle('compact',!box.checked)}
function openZoom(img,event){var z=document.getElementById('zoom'),big=z.querySelector('img');
if(!big.getAttribute('src'))big.src=img.src;z.classList.add('open');
var fx=event.offsetX/img.clientWidth,fy=event.offsetY/img.clientHeight;
var place=function(){z.scrollLeft=fx*big.clientWidth-z.clientWidth/2;z.scrollTop=fy*big.clientHeight-z.clientHeight/2};
if(big.complete&&big.naturalWidth)place();else big.onload=place}
document.addEventListener('keydown',function(e){if(e.key==='Escape')document.getElementById('zoom').classList.remove('open')});
"""
