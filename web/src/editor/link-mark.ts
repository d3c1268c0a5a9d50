/**
 * The `link` mark as the schema needs it before the first render, without linkifyjs: TipTap's
 * Link imports it (~32 KB, its top-level-domain tables) for autolinking typed URLs and linking
 * pasted ones, which only matter once someone types or pastes. This is TipTap's Link minus that
 * import: the same name, priority, attributes, parse rule, HTML and set/toggle/unset commands (so
 * stored documents, exports, paste and search are unchanged). Its autolink, paste-link and
 * paste-rule plugins are TipTap's own, built by link-autolink.ts in a chunk loaded after the first
 * render, on the first key press or paste (deferred-plugins.ts). TipTap's Link is MIT licensed.
 */
import { Mark, mergeAttributes } from '@tiptap/core';
// Types only: the options and the link commands' signatures.
import type { LinkOptions } from '@tiptap/extension-link';
import { type DeferredPlugins, deferredPlugins } from './deferred-plugins.ts';
import type { LinkifyKit } from './link-autolink.ts';
import { isAllowedLinkHref } from './link-url.ts';

type LinkStorage = { deferred: DeferredPlugins<LinkifyKit> | undefined };

/** The option's check, with this app's rule (link-url.ts) as the default TipTap would pass. */
const allowedUri = (options: LinkOptions, url: string): boolean =>
  options.isAllowedUri(url, {
    defaultValidate: isAllowedLinkHref,
    protocols: options.protocols,
    defaultProtocol: options.defaultProtocol,
  });

export const LinkMark = Mark.create<LinkOptions, LinkStorage>({
  name: 'link',
  priority: 1000,
  keepOnSplit: false,
  exitable: true,
  inclusive() {
    return this.options.autolink;
  },
  addOptions() {
    return {
      openOnClick: true,
      enableClickSelection: false,
      linkOnPaste: true,
      markdownLinks: false,
      autolink: true,
      protocols: [],
      defaultProtocol: 'http',
      HTMLAttributes: { target: '_blank', rel: 'noopener noreferrer nofollow', class: null },
      isAllowedUri: (url) => isAllowedLinkHref(url),
      validate: (url) => !!url,
      // TipTap's default (autolink.ts in the loaded chunk calls it).
      shouldAutoLink: (url) => {
        const hasProtocol = /^[a-z][a-z0-9+.-]*:\/\//i.test(url);
        const hasMaybeProtocol = /^[a-z][a-z0-9+.-]*:/i.test(url);
        if (hasProtocol || (hasMaybeProtocol && !url.includes('@'))) return true;
        const hostname = (url.includes('@') ? (url.split('@').pop() ?? '') : url).split(/[/?#:]/)[0] ?? '';
        return !/^\d{1,3}(\.\d{1,3}){3}$/.test(hostname) && /\./.test(hostname);
      },
    };
  },
  addStorage() {
    return { deferred: undefined };
  },
  addAttributes() {
    return {
      href: { default: null, parseHTML: (element) => element.getAttribute('href') },
      target: { default: this.options.HTMLAttributes.target ?? null },
      rel: { default: this.options.HTMLAttributes.rel ?? null },
      class: { default: this.options.HTMLAttributes.class ?? null },
      title: { default: null },
    };
  },
  parseHTML() {
    return [
      {
        tag: 'a[href]',
        getAttrs: (dom) => {
          const href = dom.getAttribute('href');
          return href && allowedUri(this.options, href) ? null : false;
        },
      },
    ];
  },
  renderHTML({ HTMLAttributes }) {
    const allowed = allowedUri(this.options, HTMLAttributes.href);
    return [
      'a',
      mergeAttributes(this.options.HTMLAttributes, allowed ? HTMLAttributes : { ...HTMLAttributes, href: '' }),
      0,
    ];
  },
  addCommands() {
    return {
      setLink:
        (attributes) =>
        ({ chain }) =>
          allowedUri(this.options, attributes.href) &&
          chain().setMark(this.name, attributes).setMeta('preventAutolink', true).run(),
      toggleLink:
        (attributes) =>
        ({ chain }) => {
          const href = attributes?.href;
          if (href && !allowedUri(this.options, href)) return false;
          return chain()
            .toggleMark(this.name, attributes, { extendEmptyMarkRange: true })
            .setMeta('preventAutolink', true)
            .run();
        },
      unsetLink:
        () =>
        ({ chain }) =>
          chain().unsetMark(this.name, { extendEmptyMarkRange: true }).setMeta('preventAutolink', true).run(),
    };
  },
  addProseMirrorPlugins() {
    const { editor } = this;
    this.storage.deferred ??= deferredPlugins('link', editor, () =>
      import('./link-autolink.ts').then((module) => module.linkifyKit(editor)),
    );
    return [this.storage.deferred.slot];
  },
});
