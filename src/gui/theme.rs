//! Colour, size and spacing tokens (docs/WINDOW.md, Tokens), and the egui style built from them.
//! Every colour the window paints comes from here, so the palette changes in one place.

use egui::{Color32, CornerRadius, FontFamily, FontId, Stroke, TextStyle, Visuals};

const fn hex(rgb: u32) -> Color32 {
    Color32::from_rgb((rgb >> 16) as u8, (rgb >> 8) as u8, rgb as u8)
}

/// Window chrome: title bar, status bar, sidebar.
pub const CHROME: Color32 = hex(0x0e0e10);
/// Content panes: thread, spec.
pub const PANE: Color32 = hex(0x19191f);
/// Slightly raised surfaces inside a pane (user turns, composer, cards).
pub const RAISED: Color32 = hex(0x202027);
pub const BORDER: Color32 = hex(0x27262c);
pub const BORDER_STRONG: Color32 = hex(0x36353b);
pub const TEXT: Color32 = hex(0xf6f6f6);
pub const SECONDARY: Color32 = hex(0x9793a3);
pub const MUTED: Color32 = hex(0x6e6b77);
pub const ACCENT: Color32 = hex(0x3d8b5a);
pub const RUNNING: Color32 = hex(0x47affa);
pub const REVIEW: Color32 = hex(0x4574ed);
pub const WARNING: Color32 = hex(0xec9600);
pub const DANGER: Color32 = hex(0xb6362f);
pub const SUCCESS: Color32 = hex(0x3fb076);
/// Diff line backgrounds: added and removed lines, tinted from SUCCESS and DANGER over PANE.
pub const ADDED_BG: Color32 = hex(0x1d3327);
pub const REMOVED_BG: Color32 = hex(0x3a1f21);

/// Specialist avatar colours, picked by a stable hash of the agent name.
pub const AVATARS: [Color32; 6] = [
    hex(0x6b5bd6),
    hex(0x3d8b5a),
    hex(0xc0892b),
    hex(0x4574ed),
    hex(0xb6507a),
    hex(0x2f9c9c),
];

pub const TITLE_BAR_HEIGHT: f32 = 34.0;
pub const STATUS_BAR_HEIGHT: f32 = 28.0;
pub const SIDEBAR_DEFAULT: f32 = 250.0;
pub const SIDEBAR_MIN: f32 = 220.0;
pub const SIDEBAR_MAX: f32 = 480.0;

pub const BODY: f32 = 14.0;
pub const META: f32 = 12.0;
pub const LABEL: f32 = 11.0;
pub const MONO: f32 = 12.5;

pub fn body() -> FontId {
    FontId::new(BODY, FontFamily::Proportional)
}
pub fn meta() -> FontId {
    FontId::new(META, FontFamily::Proportional)
}
pub fn label() -> FontId {
    FontId::new(LABEL, FontFamily::Proportional)
}
pub fn mono() -> FontId {
    FontId::new(MONO, FontFamily::Monospace)
}
pub fn heading() -> FontId {
    FontId::new(20.0, FontFamily::Proportional)
}

pub fn hairline() -> Stroke {
    Stroke::new(1.0, BORDER)
}

/// A colour for an agent name, stable across frames and restarts.
pub fn avatar(name: &str) -> Color32 {
    let hash = name
        .bytes()
        .fold(7u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
    AVATARS[(hash as usize) % AVATARS.len()]
}

/// Installs the dark palette and text sizes (fonts are egui's bundled defaults).
pub fn install(ctx: &egui::Context) {
    let mut visuals = Visuals::dark();
    visuals.panel_fill = PANE;
    visuals.window_fill = RAISED;
    visuals.extreme_bg_color = CHROME;
    visuals.faint_bg_color = RAISED;
    visuals.code_bg_color = hex(0x26252c);
    visuals.hyperlink_color = ACCENT;
    visuals.selection.bg_fill = ACCENT.linear_multiply(0.6);
    visuals.selection.stroke = Stroke::new(1.0, TEXT);
    visuals.window_stroke = Stroke::new(1.0, BORDER_STRONG);
    visuals.window_corner_radius = CornerRadius::same(4);
    visuals.menu_corner_radius = CornerRadius::same(4);
    visuals.override_text_color = None;
    let w = &mut visuals.widgets;
    w.noninteractive.bg_stroke = Stroke::new(1.0, BORDER);
    w.noninteractive.fg_stroke = Stroke::new(1.0, TEXT);
    w.noninteractive.bg_fill = PANE;
    w.inactive.bg_fill = RAISED;
    w.inactive.weak_bg_fill = RAISED;
    w.inactive.fg_stroke = Stroke::new(1.0, SECONDARY);
    w.inactive.bg_stroke = Stroke::new(1.0, BORDER_STRONG);
    w.hovered.bg_fill = hex(0x2a2931);
    w.hovered.weak_bg_fill = hex(0x2a2931);
    w.hovered.fg_stroke = Stroke::new(1.0, TEXT);
    w.hovered.bg_stroke = Stroke::new(1.0, BORDER_STRONG);
    w.active.bg_fill = hex(0x303038);
    w.active.weak_bg_fill = hex(0x303038);
    w.active.fg_stroke = Stroke::new(1.0, TEXT);
    for state in [
        &mut w.noninteractive,
        &mut w.inactive,
        &mut w.hovered,
        &mut w.active,
        &mut w.open,
    ] {
        state.corner_radius = CornerRadius::same(3);
    }
    ctx.set_visuals_of(egui::Theme::Dark, visuals);
    ctx.options_mut(|o| o.theme_preference = egui::ThemePreference::Dark);
    ctx.style_mut_of(egui::Theme::Dark, |style| {
        style.text_styles = [
            (TextStyle::Heading, heading()),
            (TextStyle::Body, body()),
            (TextStyle::Button, body()),
            (TextStyle::Small, meta()),
            (TextStyle::Monospace, mono()),
        ]
        .into();
        style.spacing.item_spacing = egui::vec2(8.0, 6.0);
        style.spacing.button_padding = egui::vec2(8.0, 3.0);
        style.visuals.text_cursor.blink = false;
        // Solid bars: always visible when content overflows, so nothing fades in and out between frames.
        let mut scroll = egui::style::ScrollStyle::solid();
        scroll.bar_width = 6.0;
        style.spacing.scroll = scroll;
    });
}
