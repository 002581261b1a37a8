// The map: Qingdao's real district boundaries (served by the hub: the shipped ones in WGS 84, or the city's own from
// Portal:Map:Boundaries), drawn by Apache ECharts, which the hub also serves. Each district is coloured by its highest
// open level and labelled with its name and count, above the dots, so that no dot hides them; open alerts sit at
// their devices' WGS 84 coordinates, gathered into one counted marker where they would overlap on screen; agencies'
// warning areas (CAP polygons and circles, or the districts they name) are drawn over the districts. Zoom and pan.
import * as echarts from '../vendor/echarts.esm.min.js';
import { api, districtNames, el, fill, levelBadge, say, t } from '../portal.js';
import { alerts, onChange, ruleText, severity, visible } from './state.js';

export const colours = { red: '#e03131', orange: '#f76707', yellow: '#fab005', blue: '#1c7ed6' };
const fills = { red: '#ffc9c9', orange: '#ffd8a8', yellow: '#fff3bf', blue: '#d0ebff' };
const districtName = await districtNames();
const container = document.getElementById('map');
let chart = null;
let boundaries = null;
let warnings = [];
let opener = () => {};

export function onOpen(open) {
  opener = open;
}

/** Whether a point lies inside a ring of [lon, lat] (even-odd rule). */
function inRing([x, y], ring) {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i];
    const [xj, yj] = ring[j];
    if ((yi > y) !== (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** The district a WGS 84 point lies in on the map, by the boundaries drawn; null outside them all. */
export function districtAt(lon, lat) {
  for (const feature of boundaries?.features ?? []) {
    const polygons = feature.geometry.type === 'Polygon' ? [feature.geometry.coordinates] : feature.geometry.coordinates;
    if (polygons.some(([outer, ...holes]) => inRing([lon, lat], outer) && !holes.some(hole => inRing([lon, lat], hole)))) {
      return feature.properties.code;
    }
  }
  return null;
}

/** A CAP circle ("lat,lon radius-km") as a polygon of [lon, lat]. */
function circle(text) {
  const [centre, radius] = text.trim().split(/\s+/);
  const [lat, lon] = centre.split(',').map(Number);
  const km = Number(radius);
  return Array.from({ length: 49 }, (_, i) => {
    const angle = (i / 48) * 2 * Math.PI;
    return [lon + (km / (111.32 * Math.cos(lat * Math.PI / 180))) * Math.cos(angle), lat + (km / 110.574) * Math.sin(angle)];
  });
}

/** A CAP polygon ("lat,lon lat,lon …") as [lon, lat] pairs. */
const polygon = text => text.trim().split(/\s+/).map(pair => pair.split(',').map(Number).reverse());

/** The agencies' warnings in force, with their areas' shapes from each one's CAP document. */
export async function loadWarnings() {
  const page = await api('GET', '/v1/warnings?active=true&limit=50');
  warnings = await Promise.all(page.items.map(async w => {
    const { cap } = await api('GET', `/v1/warnings/${w.id}`);
    const areas = (cap?.info ?? []).flatMap(info => info.area ?? []);
    const shapes = areas.flatMap(area => [...(area.polygon ?? []).map(polygon), ...(area.circle ?? []).map(circle)]);
    return { ...w, shapes };
  }));
  fill(document.getElementById('map-warnings'), warnings.map(w =>
    el('li', { dataset: { warningId: w.id, level: w.level ?? '' } }, w.level ? levelBadge(w.level) : '', ' ', w.headline ?? w.event, ' · ', w.districts.map(districtName).join('、'))), 1);
  render();
}

/** Markers: one per device on screen, or one per group of alerts whose markers would overlap, with their count. */
function clusters(list) {
  const radius = 26;
  const groups = [];
  for (const alert of list) {
    const [x, y] = chart.convertToPixel({ geoIndex: 0 }, [alert.location.lon, alert.location.lat]) ?? [NaN, NaN];
    if (!Number.isFinite(x)) continue;
    const near = groups.find(g => Math.hypot(g.x - x, g.y - y) < radius);
    if (near) {
      near.alerts.push(alert);
      if (severity[alert.level] > severity[near.level]) near.level = alert.level;
    } else {
      groups.push({ x, y, level: alert.level, lon: alert.location.lon, lat: alert.location.lat, alerts: [alert] });
    }
  }
  return groups;
}

function render() {
  if (!chart) return;
  const list = [...alerts.values()].filter(a => a.location && visible(a));
  const highest = new Map();
  const count = new Map();
  for (const alert of list) {
    const code = alert.district.slice(0, 6);
    count.set(code, (count.get(code) ?? 0) + 1);
    if (!highest.has(code) || severity[alert.level] > severity[highest.get(code)]) highest.set(code, alert.level);
  }
  const warned = new Map();
  for (const w of warnings) for (const code of w.districts) warned.set(code.slice(0, 6), w.level);
  const codes = boundaries.features.map(f => f.properties.code);
  const groups = clusters(list);
  const shapes = warnings.flatMap(w => w.shapes.map(shape => ({ shape, level: w.level })));
  chart.setOption({
    geo: {
      regions: codes.map(code => ({
        name: code,
        itemStyle: {
          areaColor: highest.has(code) ? fills[highest.get(code)] : '#f1f3f5',
          ...(warned.has(code) ? { borderColor: colours[warned.get(code)] ?? '#495057', borderWidth: 3, borderType: 'dashed' } : {}),
        },
      })),
    },
    series: [
      {
        id: 'warnings', type: 'custom', coordinateSystem: 'geo', silent: true, z: 3,
        data: shapes.map(item => ({ value: item.shape[0] })),
        renderItem: (params, api) => {
          const item = shapes[params.dataIndex];
          if (!item) return null;
          return {
            type: 'polygon',
            shape: { points: item.shape.map(point => api.coord(point)) },
            style: { fill: `${colours[item.level] ?? '#495057'}33`, stroke: colours[item.level] ?? '#495057', lineWidth: 2, lineDash: [6, 4] },
          };
        },
      },
      {
        id: 'alerts', type: 'scatter', coordinateSystem: 'geo', z: 5, cursor: 'pointer',
        data: groups.map(g => ({
          value: [g.lon, g.lat, g.alerts.length],
          level: g.level,
          ids: g.alerts.map(a => a.id),
          symbolSize: g.alerts.length > 1 ? 26 + Math.min(14, g.alerts.length * 2) : 16,
          itemStyle: { color: colours[g.level], borderColor: '#1f2328', borderWidth: 1.5 },
          label: { show: g.alerts.length > 1, formatter: String(g.alerts.length), color: g.level === 'yellow' ? '#1f2328' : '#fff', fontWeight: 'bold', fontSize: 14 },
          name: g.alerts.length > 1 ? t('Console.Cluster', g.alerts.length) : `${g.alerts[0].deviceId} · ${t(`Level.${g.level}`)} · ${ruleText(g.alerts[0])}`,
        })),
        tooltip: { formatter: p => p.name },
      },
      {
        // The districts' names and counts, above the markers: a marker never hides how many alerts a district has.
        id: 'labels', type: 'scatter', coordinateSystem: 'geo', z: 10, silent: true, symbolSize: 0,
        // Where the city's small central districts crowd, a quiet district's name gives way to one with alerts.
        labelLayout: { hideOverlap: true },
        data: [...boundaries.features].sort((a, b) => (count.get(b.properties.code) ?? 0) - (count.get(a.properties.code) ?? 0)).map(f => ({
          value: f.properties.cp ?? centre(f),
          label: {
            show: true,
            formatter: count.get(f.properties.code) ? `${districtName(f.properties.code)}\n${t('Console.Count', count.get(f.properties.code))}` : districtName(f.properties.code),
            fontSize: 15, lineHeight: 19, color: '#1b1f24', backgroundColor: 'rgba(255,255,255,0.82)', padding: [2, 5], borderRadius: 3,
            fontWeight: count.get(f.properties.code) ? 'bold' : 'normal',
          },
        })),
      },
    ],
  });
  container.dataset.clusters = String(groups.length);
  container.dataset.zoom = String(Math.round((chart.getOption().geo?.[0]?.zoom ?? 1) * 100) / 100);
  container.dataset.markers = JSON.stringify(groups.map(g => g.alerts.length));
  renderText(list);
}

/** Where a district's label goes: the middle of the bounding box of its largest polygon. */
function centre(feature) {
  const polygons = feature.geometry.type === 'Polygon' ? [feature.geometry.coordinates] : feature.geometry.coordinates;
  const largest = polygons.reduce((best, p) => (p[0].length > best[0].length ? p : best));
  const xs = largest[0].map(p => p[0]);
  const ys = largest[0].map(p => p[1]);
  return [(Math.min(...xs) + Math.max(...xs)) / 2, (Math.min(...ys) + Math.max(...ys)) / 2];
}

/** The map as text: each alert's device, level, registered district, and the district its location lies in on the map. */
function renderText(list) {
  fill(document.getElementById('map-devices'), list.map(alert => {
    const onMap = districtAt(alert.location.lon, alert.location.lat);
    const registered = alert.district.slice(0, 6);
    const mismatch = onMap !== null && onMap !== registered;
    return el('tr', { dataset: { alertId: alert.id, device: alert.deviceId, mapDistrict: onMap ?? '' }, class: mismatch ? 'mismatch' : undefined },
      el('td', {}, alert.deviceId), el('td', {}, levelBadge(alert.level)), el('td', {}, districtName(registered)),
      el('td', {}, onMap ? districtName(onMap) : '—', mismatch ? el('span', { class: 'warning-text' }, ' ', t('Console.DistrictMismatch')) : ''));
  }), 4);
}

export async function startMap() {
  boundaries = await fetch('/portal/map/districts.json', { headers: { Accept: 'application/geo+json' } }).then(r => r.json());
  for (const feature of boundaries.features) feature.properties.cp = centre(feature);
  echarts.registerMap('city', boundaries);
  const all = boundaries.features.flatMap(f => (f.geometry.type === 'Polygon' ? [f.geometry.coordinates] : f.geometry.coordinates).flatMap(p => p[0]));
  const extent = all.reduce(([w, s, e, n], [lon, lat]) => [Math.min(w, lon), Math.min(s, lat), Math.max(e, lon), Math.max(n, lat)], [180, 90, -180, -90]);
  const wholeCity = [(extent[0] + extent[2]) / 2, (extent[1] + extent[3]) / 2];
  chart = echarts.init(container, null, { renderer: 'canvas' });
  chart.setOption({
    animation: false,
    tooltip: { trigger: 'item', confine: true, textStyle: { fontSize: 15 } },
    geo: {
      map: 'city', nameProperty: 'code', roam: true, center: wholeCity, zoom: 1, scaleLimit: { min: 0.8, max: 40 }, layoutCenter: ['50%', '50%'], layoutSize: '96%',
      label: { show: false }, emphasis: { label: { show: false }, itemStyle: { areaColor: '#e7f5ff' } }, select: { disabled: true },
      itemStyle: { areaColor: '#f1f3f5', borderColor: '#57606a', borderWidth: 1.2 },
      tooltip: { show: true, formatter: p => districtName(p.name) },
    },
  });
  container.dataset.ready = 'true';
  container.dataset.districts = boundaries.features.map(f => f.properties.code).join(' ');
  chart.on('click', { seriesId: 'alerts' }, params => {
    const ids = params.data.ids;
    if (ids.length === 1) opener(ids[0]);
    else {
      // A group: zoom in on it until its markers come apart.
      const geo = chart.getOption().geo[0];
      chart.setOption({ geo: { center: params.data.value.slice(0, 2), zoom: (geo.zoom ?? 1) * 2.5 } });
      render();
    }
  });
  chart.on('georoam', () => requestAnimationFrame(render));
  document.getElementById('map-reset').addEventListener('click', () => {
    chart.setOption({ geo: { center: wholeCity, zoom: 1 } });
    render();
  });
  new ResizeObserver(([entry]) => {
    // A map with no area has no view transform to invert, and ECharts throws on one; it is drawn again as soon as it
    // has an area (on a phone the layout settles after the page first lays the map out at nothing).
    if (entry.contentRect.width === 0 || entry.contentRect.height === 0) return;
    chart.resize();
    render();
  }).observe(container);
  onChange(render);
  loadWarnings().catch(error => say('board-message', error));
}
