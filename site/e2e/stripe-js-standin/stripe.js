/*
 * A stand-in for Stripe.js, served by the browser tests in place of https://js.stripe.com/…
 * (the real script cannot be fetched here, and tests never leave this machine). It implements
 * the slice of Stripe.js that @stripe/stripe-js and @stripe/react-stripe-js use for the Payment
 * Element: `Stripe(key)` → `elements({ clientSecret })` → `create('payment' | 'address')` →
 * `mount`, plus `confirmPayment`, which confirms the PaymentIntent against the Stripe API fake
 * (server/test/helpers/stripe-fake.ts) as Stripe.js does against api.stripe.com: with the
 * publishable key and the client secret. On success it navigates to `return_url` with the
 * query parameters Stripe adds; on a decline it resolves `{ error }` like Stripe.js.
 *
 * The test prepends `window.__vitrineStripeFake = { apiBase: 'http://127.0.0.1:<port>' }`.
 * Card numbers choose the outcome as in Stripe test mode (4242… succeeds, 4000 0000 0000 0002
 * is declined); the fake decides.
 */
(function () {
  'use strict';

  var config = window.__vitrineStripeFake || {};
  var apiBase = String(config.apiBase || '').replace(/\/+$/, '');

  function Emitter() {
    this.handlers = {};
  }
  Emitter.prototype.on = function (type, handler) {
    (this.handlers[type] = this.handlers[type] || []).push(handler);
    return this;
  };
  Emitter.prototype.off = function (type, handler) {
    var list = this.handlers[type] || [];
    this.handlers[type] = handler
      ? list.filter(function (h) {
          return h !== handler;
        })
      : [];
    return this;
  };
  Emitter.prototype.once = function (type, handler) {
    var self = this;
    var wrapped = function (event) {
      self.off(type, wrapped);
      handler(event);
    };
    return this.on(type, wrapped);
  };
  Emitter.prototype.emit = function (type, event) {
    (this.handlers[type] || []).slice().forEach(function (handler) {
      handler(event);
    });
  };

  function field(container, label, name, options) {
    var wrapper = document.createElement('label');
    wrapper.style.display = 'grid';
    wrapper.textContent = label;
    var input = document.createElement('input');
    input.name = name;
    input.setAttribute('data-standin-field', name);
    if (options && options.placeholder) input.placeholder = options.placeholder;
    if (options && options.autocomplete) input.autocomplete = options.autocomplete;
    wrapper.appendChild(input);
    container.appendChild(wrapper);
    return input;
  }

  var FIELDS = {
    payment: [
      [
        'Card number',
        'cardNumber',
        { placeholder: '1234 1234 1234 1234', autocomplete: 'cc-number' },
      ],
      ['Expiry', 'expiry', { placeholder: 'MM / YY', autocomplete: 'cc-exp' }],
      ['CVC', 'cvc', { placeholder: 'CVC', autocomplete: 'cc-csc' }],
    ],
    address: [
      ['Full name', 'name', { autocomplete: 'name' }],
      ['Address line 1', 'line1', { autocomplete: 'address-line1' }],
      ['City', 'city', { autocomplete: 'address-level2' }],
      ['Postal code', 'postal_code', { autocomplete: 'postal-code' }],
      ['Country', 'country', { autocomplete: 'country' }],
    ],
  };

  function Element(type, options, group) {
    Emitter.call(this);
    this.type = type;
    this.options = options || {};
    this.group = group;
    this.inputs = {};
    this.node = null;
    this.destroyed = false;
  }
  Element.prototype = Object.create(Emitter.prototype);
  Element.prototype.mount = function (target) {
    var self = this;
    var parent = typeof target === 'string' ? document.querySelector(target) : target;
    if (!parent) throw new Error('stripe stand-in: mount target not found');
    var node = document.createElement('div');
    node.className = 'StripeElement stripe-standin-' + this.type;
    node.setAttribute('data-standin-element', this.type);
    (FIELDS[this.type] || []).forEach(function (spec) {
      var input = field(node, spec[0], spec[1], spec[2]);
      self.inputs[spec[1]] = input;
      input.addEventListener('input', function () {
        self.emit('change', self.changeEvent());
      });
      input.addEventListener('focus', function () {
        self.emit('focus', { elementType: self.type });
      });
      input.addEventListener('blur', function () {
        self.emit('blur', { elementType: self.type });
      });
    });
    parent.appendChild(node);
    this.node = node;
    // Stripe.js reports ready asynchronously, after its iframe loaded.
    setTimeout(function () {
      if (!self.destroyed) self.emit('ready', { elementType: self.type });
    }, 0);
  };
  Element.prototype.changeEvent = function () {
    var values = this.values();
    var empty = Object.keys(values).every(function (k) {
      return !values[k];
    });
    return {
      elementType: this.type,
      empty: empty,
      complete: this.isComplete(),
      value: this.type === 'payment' ? { type: 'card' } : this.addressValue(),
    };
  };
  Element.prototype.values = function () {
    var out = {};
    var inputs = this.inputs;
    Object.keys(inputs).forEach(function (k) {
      out[k] = inputs[k].value.trim();
    });
    return out;
  };
  Element.prototype.isComplete = function () {
    var v = this.values();
    if (this.type === 'payment') return v.cardNumber.replace(/\s/g, '').length >= 12;
    return Boolean(v.name && v.line1 && v.city && v.postal_code && v.country);
  };
  Element.prototype.addressValue = function () {
    var v = this.values();
    return {
      name: v.name,
      address: {
        line1: v.line1,
        line2: null,
        city: v.city,
        state: null,
        postal_code: v.postal_code,
        country: v.country,
      },
    };
  };
  Element.prototype.getValue = function () {
    return Promise.resolve({
      complete: this.isComplete(),
      isNewAddress: true,
      value: this.addressValue(),
    });
  };
  Element.prototype.update = function (options) {
    this.options = Object.assign({}, this.options, options);
  };
  Element.prototype.focus = function () {
    var first = this.node && this.node.querySelector('input');
    if (first) first.focus();
  };
  Element.prototype.blur = function () {};
  Element.prototype.clear = function () {
    var inputs = this.inputs;
    Object.keys(inputs).forEach(function (k) {
      inputs[k].value = '';
    });
  };
  Element.prototype.collapse = function () {};
  Element.prototype.unmount = function () {
    if (this.node && this.node.parentNode) this.node.parentNode.removeChild(this.node);
    this.node = null;
  };
  Element.prototype.destroy = function () {
    this.unmount();
    this.destroyed = true;
    if (this.group) delete this.group.byType[this.type];
  };

  function Elements(stripe, options) {
    this.stripe = stripe;
    this.options = options || {};
    this.byType = {};
  }
  Elements.prototype.create = function (type, options) {
    if (!FIELDS[type])
      throw new Error('stripe stand-in: element type "' + type + '" is not implemented');
    if (this.byType[type]) throw new Error('Can only create one Element of type ' + type + '.');
    var element = new Element(type, options, this);
    this.byType[type] = element;
    return element;
  };
  Elements.prototype.getElement = function (type) {
    return this.byType[type] || null;
  };
  Elements.prototype.update = function (options) {
    this.options = Object.assign({}, this.options, options);
  };
  Elements.prototype.fetchUpdates = function () {
    return Promise.resolve({});
  };
  Elements.prototype.submit = function () {
    var payment = this.byType.payment;
    if (payment && !payment.isComplete()) {
      return Promise.resolve({
        error: {
          type: 'validation_error',
          code: 'incomplete_number',
          message: 'Your card number is incomplete.',
        },
      });
    }
    return Promise.resolve({});
  };

  function formBody(params, prefix, out) {
    out = out || [];
    Object.keys(params).forEach(function (key) {
      var value = params[key];
      var name = prefix ? prefix + '[' + key + ']' : key;
      if (value === undefined || value === null) return;
      if (typeof value === 'object') formBody(value, name, out);
      else out.push(encodeURIComponent(name) + '=' + encodeURIComponent(String(value)));
    });
    return out.join('&');
  }

  function StripeInstance(key, options) {
    this.key = key;
    this.options = options || {};
  }
  StripeInstance.prototype._registerWrapper = function () {};
  StripeInstance.prototype.registerAppInfo = function () {};
  StripeInstance.prototype.elements = function (options) {
    return new Elements(this, options);
  };
  StripeInstance.prototype.createToken = function () {
    return Promise.resolve({
      error: {
        type: 'invalid_request_error',
        message: 'stripe stand-in: createToken is not implemented',
      },
    });
  };
  StripeInstance.prototype.createPaymentMethod = function () {
    return Promise.resolve({
      error: {
        type: 'invalid_request_error',
        message: 'stripe stand-in: createPaymentMethod is not implemented',
      },
    });
  };
  StripeInstance.prototype.confirmCardPayment = function () {
    return Promise.resolve({
      error: {
        type: 'invalid_request_error',
        message: 'stripe stand-in: confirmCardPayment is not implemented',
      },
    });
  };
  StripeInstance.prototype.retrievePaymentIntent = function (clientSecret) {
    var id = String(clientSecret).split('_secret_')[0];
    var url =
      apiBase +
      '/v1/payment_intents/' +
      encodeURIComponent(id) +
      '?' +
      formBody({ key: this.key, client_secret: clientSecret });
    return fetch(url).then(function (res) {
      return res.json().then(function (body) {
        return res.ok ? { paymentIntent: body } : { error: body.error };
      });
    });
  };
  StripeInstance.prototype.confirmPayment = function (args) {
    var elements = args && args.elements;
    var confirmParams = (args && args.confirmParams) || {};
    var redirect = (args && args.redirect) || 'always';
    var clientSecret = (args && args.clientSecret) || (elements && elements.options.clientSecret);
    if (!clientSecret) {
      return Promise.resolve({
        error: { type: 'invalid_request_error', message: 'stripe stand-in: no clientSecret' },
      });
    }
    if (!confirmParams.return_url && redirect !== 'if_required') {
      return Promise.resolve({
        error: { type: 'invalid_request_error', message: 'return_url is required.' },
      });
    }
    var payment = elements && elements.getElement('payment');
    if (!payment || !payment.isComplete()) {
      return Promise.resolve({
        error: {
          type: 'validation_error',
          code: 'incomplete_number',
          message: 'Your card number is incomplete.',
        },
      });
    }
    var id = String(clientSecret).split('_secret_')[0];
    var body = formBody({
      key: this.key,
      client_secret: clientSecret,
      return_url: confirmParams.return_url,
      payment_method_data: {
        type: 'card',
        card: { number: payment.values().cardNumber.replace(/\s/g, '') },
      },
    });
    return fetch(apiBase + '/v1/payment_intents/' + encodeURIComponent(id) + '/confirm', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: body,
    }).then(
      function (res) {
        return res.json().then(function (json) {
          if (!res.ok)
            return {
              error: json.error || { type: 'api_error', message: 'An unexpected error occurred.' },
            };
          if (json.status === 'requires_action') {
            return {
              error: {
                type: 'card_error',
                code: 'authentication_required',
                message: 'stripe stand-in: 3D Secure is not implemented.',
              },
            };
          }
          if (redirect === 'if_required') return { paymentIntent: json };
          var url = new URL(confirmParams.return_url);
          url.searchParams.set('payment_intent', json.id);
          url.searchParams.set('payment_intent_client_secret', clientSecret);
          url.searchParams.set(
            'redirect_status',
            json.status === 'succeeded' || json.status === 'processing' ? 'succeeded' : 'failed',
          );
          window.location.assign(url.toString());
          // Like Stripe.js while it redirects: the promise never settles.
          return new Promise(function () {});
        });
      },
      function () {
        return {
          error: { type: 'api_connection_error', message: 'We could not connect to Stripe.' },
        };
      },
    );
  };

  function Stripe(key, options) {
    if (typeof key !== 'string' || !/^pk_(test|live)_/.test(key)) {
      throw new Error(
        'Invalid value for Stripe(): apiKey should be a publishable key, got ' + String(key),
      );
    }
    return new StripeInstance(key, options);
  }
  // @stripe/stripe-js compares this with the release train it was built for.
  Stripe.version = 'endive';

  window.Stripe = Stripe;
})();
